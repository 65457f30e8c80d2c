using Models.Architectures;
using Models.Torch;
using static TorchSharp.torch;

namespace Models.Generation;

/// <summary>
/// Iteration-level scheduling over a paged KV cache (continuous batching, as vLLM and TGI schedule): sequences join
/// and leave between any two steps. Each <see cref="Step"/> decodes one token of every running sequence and prefills
/// waiting prompts in chunks that fit what is left of the step's token budget (chunked prefill), so a long prompt
/// never stalls the others' next token. Each sequence owns the cache pages it reserved when it joined (its prompt
/// plus its <see cref="GenerationOptions.MaxNewTokens"/>), so a running sequence never runs out of room; its pages
/// are free for the next one the moment it ends. A step is one forward pass: every row's new tokens (decodes and
/// prefill chunks) packed in one row, so each weight is read once per step, each token attending to its own sequence
/// only, at its own positions (with dynamic rope scaling, rows of equal length are grouped into passes instead).
/// </summary>
/// <remarks>
/// Driven by one thread: <see cref="Add"/> and <see cref="Step"/> are not thread-safe; the counters may be read
/// from anywhere. Owns its cache, not the model: dispose it before the generator.
/// </remarks>
public sealed class GenerationEngine : IDisposable
{
    private readonly ICausalLanguageModel _model;
    private readonly TextGenerator _generator;
    private readonly SemaphoreSlim? _gate;
    private readonly IPagedKeyValueCache _cache;
    private readonly Stack<int> _freePages;
    private readonly List<EngineSequence> _running = [];
    private volatile int _runningCount;
    private volatile int _freePageCount;
    private bool _disposed;

    /// <param name="gate">Taken around each step, so the generator is not disposed under a forward pass; null when the caller holds it.</param>
    internal GenerationEngine(TextGenerator generator, EngineLimits limits, SemaphoreSlim? gate)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        _generator = generator;
        _model = generator.Model;
        _gate = gate;
        Limits = limits;
        var pages = (limits.CacheTokens + limits.PageSize - 1) / limits.PageSize;
        _cache = _model.CreatePagedCache(pages, limits.PageSize);
        _freePages = new Stack<int>(Enumerable.Range(0, pages).Reverse());
        _freePageCount = pages;
    }

    public EngineLimits Limits { get; }

    /// <summary>Tokens the cache holds in all (whole pages).</summary>
    public int CacheTokens => _cache.Pages * _cache.PageSize;

    /// <summary>The cache's memory, preallocated.</summary>
    public long CacheBytes => _cache.Bytes;

    /// <summary>Tokens reserved by running sequences.</summary>
    public int UsedCacheTokens => (_cache.Pages - _freePageCount) * _cache.PageSize;

    /// <summary>Sequences running (prefilling or decoding).</summary>
    public int Running => _runningCount;

    /// <summary>Cache tokens a sequence of <paramref name="promptTokens"/> and up to <paramref name="maxNewTokens"/> new ones reserves.</summary>
    public long TokensFor(int promptTokens, int maxNewTokens) => PagesFor(promptTokens, maxNewTokens) * _cache.PageSize;

    /// <summary>Whether such a sequence fits the cache at all, once everything else is done (else it never will).</summary>
    public bool CanEverFit(int promptTokens, int maxNewTokens) => PagesFor(promptTokens, maxNewTokens) <= _cache.Pages;

    /// <summary>Whether such a sequence can join now: a place in the batch and its pages free.</summary>
    public bool CanAdmit(int promptTokens, int maxNewTokens) =>
        _runningCount < Limits.MaxSequences && PagesFor(promptTokens, maxNewTokens) <= _freePageCount;

    /// <summary>
    /// Joins a sequence: it reserves its pages and is prefilled from the next step on. <paramref name="onToken"/>
    /// sees each new token; <paramref name="onFinished"/> its result once (at once when it has nothing to generate);
    /// a cancelled <paramref name="cancellation"/> ends it at the next step and frees its pages.
    /// </summary>
    /// <exception cref="ArgumentException">An empty or out-of-vocabulary prompt, invalid options, or more than the context.</exception>
    /// <exception cref="InvalidOperationException">No room now (see <see cref="CanAdmit"/>).</exception>
    public EngineSequence Add(
        IReadOnlyList<int> prompt, GenerationOptions options, Action<GeneratedToken>? onToken, Action<GenerationResult>? onFinished, CancellationToken cancellation = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(options);
        return Join(new SequenceState(prompt, options, _generator.Tokenizer, _model.Config, _generator.StopTokenIds), onToken, cancellation, onFinished);
    }

    /// <summary>Joins a sequence already set up (see the public overload).</summary>
    internal EngineSequence Join(SequenceState state, Action<GeneratedToken>? onToken, CancellationToken cancellation, Action<GenerationResult>? onFinished = null)
    {
        var (prompt, options) = (state.Prompt, state.Options);
        var sequence = new EngineSequence(state, onToken, onFinished, cancellation);
        if (state.Done)
        {
            sequence.Finish();
            return sequence;
        }

        if (!CanAdmit(prompt.Count, options.MaxNewTokens))
        {
            throw new InvalidOperationException(
                $"No room for a sequence of {prompt.Count} + {options.MaxNewTokens} tokens: {_runningCount} of {Limits.MaxSequences} running, {_freePageCount * _cache.PageSize} of {CacheTokens} cache tokens free.");
        }

        var pages = PagesFor(prompt.Count, options.MaxNewTokens);
        for (var i = 0; i < pages; i++)
        {
            sequence.Pages.Add(_freePages.Pop());
        }

        _freePageCount = _freePages.Count;
        _running.Add(sequence);
        _runningCount = _running.Count;
        return sequence;
    }

    /// <summary>
    /// One iteration: cancelled sequences leave; every decoding sequence gets its next token and waiting prompts
    /// are prefilled within <see cref="EngineLimits.MaxBatchedTokens"/>; finished ones leave and free their pages.
    /// A forward pass that throws fails the sequences in it, not the others. False when nothing runs.
    /// </summary>
    public bool Step()
    {
        _gate?.Wait();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed || _generator.IsDisposed, this);
            foreach (var sequence in _running.Where(s => s.Cancellation.IsCancellationRequested).ToList())
            {
                sequence.State.Cancel();
                Finish(sequence);
            }

            if (_running.Count == 0)
            {
                return false;
            }

            // Decodes first (one token each), then prompts in the order they joined, chunked to the budget; at
            // least one token of prefill when nothing decodes, so a budget smaller than a prompt still progresses.
            var rows = new List<(EngineSequence Sequence, int Tokens)>();
            var budget = Limits.MaxBatchedTokens;
            foreach (var sequence in _running.Where(s => s.Prefilled))
            {
                rows.Add((sequence, 1));
                budget--;
            }

            foreach (var sequence in _running.Where(s => !s.Prefilled))
            {
                var remaining = sequence.State.Prompt.Count - sequence.Cached;
                var chunk = Math.Min(remaining, rows.Count == 0 ? Math.Max(budget, 1) : budget);
                if (chunk <= 0)
                {
                    break;
                }

                if (!_model.SupportsChunkedPrefill)
                {
                    chunk = remaining; // whole or not at all: the budget may be exceeded by this one prompt
                }

                rows.Add((sequence, chunk));
                budget -= chunk;
            }

            if (_model.SupportsChunkedPrefill)
            {
                ForwardPacked(rows); // one pass: every weight read once for the whole step
            }
            else
            {
                foreach (var group in rows.GroupBy(r => r.Tokens))
                {
                    Forward([.. group.Select(r => r.Sequence)], group.Key);
                }
            }

            return true;
        }
        finally
        {
            _gate?.Release();
        }
    }

    /// <summary>One packed forward pass over every row's new tokens; samples where a row's prompt is all in.</summary>
    private void ForwardPacked(List<(EngineSequence Sequence, int Tokens)> rows)
    {
        var ids = new long[1, rows.Sum(r => r.Tokens)];
        var at = 0;
        foreach (var (sequence, tokens) in rows)
        {
            for (var t = 0; t < tokens; t++)
            {
                ids[0, at++] = sequence.TokenAt(sequence.Cached + t);
            }
        }

        var sequences = rows.Select(r => r.Sequence).ToArray();
        var cached = rows.Select(r => new CachedSequence(r.Sequence.Pages, r.Sequence.Cached)).ToArray();
        int[] counts = [.. rows.Select(r => r.Tokens)];
        if (LogitsOf(sequences, () => _model.ForwardPacked(tensor(ids), _cache, cached, counts)) is { } logits)
        {
            Sample(sequences, counts, logits);
        }
    }

    /// <summary>One forward pass over rows of <paramref name="tokens"/> new tokens each; samples where a row's prompt is all in.</summary>
    private void Forward(EngineSequence[] sequences, int tokens)
    {
        var ids = new long[sequences.Length, tokens];
        var rows = new CachedSequence[sequences.Length];
        for (var row = 0; row < sequences.Length; row++)
        {
            var sequence = sequences[row];
            for (var t = 0; t < tokens; t++)
            {
                ids[row, t] = sequence.TokenAt(sequence.Cached + t);
            }

            rows[row] = new CachedSequence(sequence.Pages, sequence.Cached);
        }

        if (LogitsOf(sequences, () => _model.Forward(tensor(ids), _cache, rows, lastTokenOnly: true)) is { } logits)
        {
            Sample(sequences, [.. sequences.Select(_ => tokens)], logits);
        }
    }

    /// <summary>
    /// Runs one forward pass ([rows, 1, vocabulary]) in its own dispose scope and returns its logits row after row;
    /// null when it threw, having failed (and finished) the sequences in it alone.
    /// </summary>
    private float[]? LogitsOf(EngineSequence[] sequences, Func<Tensor> forward)
    {
        try
        {
            using var scope = NewDisposeScope();
            return forward().select(1, 0).ToFloats();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            foreach (var sequence in sequences)
            {
                sequence.State.Fail(e);
                Finish(sequence);
            }

            return null;
        }
    }

    /// <summary>Each row's logits: its chunk is cached; a row whose prompt is all in samples its next token.</summary>
    private void Sample(EngineSequence[] sequences, int[] tokens, float[] logits)
    {
        var vocabulary = logits.Length / sequences.Length;
        for (var row = 0; row < sequences.Length; row++)
        {
            var sequence = sequences[row];
            sequence.Cached += tokens[row];
            if (!sequence.Prefilled)
            {
                continue; // a prompt chunk that is not its last: no token yet
            }

            sequence.Sample(logits.AsSpan(row * vocabulary, vocabulary));
            if (sequence.State.Done)
            {
                Finish(sequence);
            }
        }
    }

    /// <summary>Leaves the batch: frees its pages at once, then reports its result.</summary>
    private void Finish(EngineSequence sequence)
    {
        if (_running.Remove(sequence))
        {
            foreach (var page in sequence.Pages)
            {
                _freePages.Push(page);
            }

            sequence.Pages.Clear();
            _freePageCount = _freePages.Count;
            _runningCount = _running.Count;
        }

        sequence.Finish();
    }

    /// <summary>
    /// Ends every running sequence as failed with <paramref name="error"/> and frees its pages: when a step broke
    /// outside a forward pass (which fails only its own sequences), no caller may be left waiting, and the engine
    /// must be empty and usable for the next requests.
    /// </summary>
    public void FailAll(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        _gate?.Wait();
        try
        {
            foreach (var sequence in _running.ToList())
            {
                sequence.State.Fail(error);
                Finish(sequence);
            }
        }
        finally
        {
            _gate?.Release();
        }
    }

    private long PagesFor(int promptTokens, int maxNewTokens) => ((long)promptTokens + maxNewTokens + _cache.PageSize - 1) / _cache.PageSize;

    /// <summary>Frees the cache; running sequences end as cancelled. Waits for a step in flight.</summary>
    public void Dispose()
    {
        _gate?.Wait();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var sequence in _running.ToList())
            {
                sequence.State.Cancel();
                Finish(sequence);
            }

            _cache.Dispose();
        }
        finally
        {
            _gate?.Release();
        }
    }
}

/// <summary>
/// What a <see cref="GenerationEngine"/> may hold: sequences at once, tokens per step (decodes and prefill chunks
/// together), and the cache, in tokens (rounded up to whole pages).
/// </summary>
public sealed record EngineLimits(int MaxSequences, int MaxBatchedTokens, int CacheTokens, int PageSize = EngineLimits.DefaultPageSize)
{
    /// <summary>Tokens per cache page (vLLM's default block size).</summary>
    public const int DefaultPageSize = 16;

    public void Validate()
    {
        if (MaxSequences < 1 || MaxBatchedTokens < 1 || CacheTokens < 1 || PageSize < 1)
        {
            throw new ArgumentException($"Invalid engine limits: {this}.");
        }
    }
}

/// <summary>A sequence in a <see cref="GenerationEngine"/>: its state, its pages, and how much of it is cached.</summary>
public sealed class EngineSequence
{
    private readonly Action<GeneratedToken>? _onToken;
    private readonly Action<GenerationResult>? _onFinished;
    private int _finished;

    internal EngineSequence(SequenceState state, Action<GeneratedToken>? onToken, Action<GenerationResult>? onFinished, CancellationToken cancellation)
    {
        State = state;
        _onToken = onToken;
        _onFinished = onFinished;
        Cancellation = cancellation;
    }

    internal SequenceState State { get; }

    internal List<int> Pages { get; } = [];

    internal CancellationToken Cancellation { get; }

    /// <summary>Tokens whose keys and values are in the cache.</summary>
    internal int Cached { get; set; }

    /// <summary>The whole prompt is cached: each step now decodes one token.</summary>
    internal bool Prefilled => Cached >= State.Prompt.Count;

    /// <summary>The result, once it finished; null while it runs.</summary>
    public GenerationResult? Result { get; private set; }

    /// <summary>The token at <paramref name="position"/>: the prompt's, then the generated ones.</summary>
    internal long TokenAt(int position) =>
        position < State.Prompt.Count ? State.Prompt[position] : State.Generated[position - State.Prompt.Count];

    internal void Sample(Span<float> logits)
    {
        try
        {
            State.Append(logits, 0, _onToken is null ? null : (_, token) => _onToken(token));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            State.Fail(e); // this sequence alone
        }
    }

    internal void Finish()
    {
        if (Interlocked.Exchange(ref _finished, 1) == 0)
        {
            Result = State.Result();
            _onFinished?.Invoke(Result);
        }
    }
}
