using System.Runtime.ExceptionServices;
using Models.Architectures;
using Models.Tokenization;

namespace Models.Generation;

/// <summary>
/// The generation engine every architecture and protocol shares: batched prompts (left-padded, with attention
/// masks), a key/value cache, per-sequence sampling, stop sequences and end-of-text, token-by-token streaming and
/// cancellation. One generation runs at a time per model. Owns the model and the tokenizer: disposing the generator
/// releases them. Sequences stop at every end-of-text id: the model's (<c>config.json</c>), the tokenizer's, and
/// <c>generation_config.json</c>'s (<paramref name="defaults"/>).
/// </summary>
public sealed class TextGenerator(ICausalLanguageModel model, ITextTokenizer tokenizer, GenerationDefaults? defaults = null) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1); // one batch at a time; never disposed, as callers may still be waiting on it
    private bool _disposed;

    public ICausalLanguageModel Model => model;

    public ITextTokenizer Tokenizer => tokenizer;

    /// <summary>The model folder's <c>generation_config.json</c>: end-of-text ids and the sampling a request gets by default.</summary>
    public GenerationDefaults Defaults { get; } = defaults ?? GenerationDefaults.None;

    /// <summary>Every id a sequence stops at (unless its options say not to).</summary>
    public IReadOnlySet<int> StopTokenIds { get; } = new[] { tokenizer.SpecialTokens.EndOfText?.Id }
        .OfType<int>().Concat(model.Config.EndOfTextIds).Concat(defaults?.EndOfTextIds ?? []).ToHashSet();

    /// <summary>Continues each prompt; all run as one batch.</summary>
    /// <exception cref="ArgumentException">A prompt is empty, the options are invalid, or a prompt does not fit the context.</exception>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<string> prompts, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var results = Generate([.. prompts.Select(prompt => tokenizer.Encode(prompt))], [.. prompts.Select(_ => options)], onToken: null, cancellationToken: cancellationToken);
        if (results.FirstOrDefault(r => r.Error is not null)?.Error is { } error)
        {
            ExceptionDispatchInfo.Throw(error); // as thrown: an invalid prompt is still an ArgumentException
        }

        return results;
    }

    /// <summary>Streams one prompt's continuation token by token; stop when the enumeration is abandoned or cancelled.</summary>
    public async IAsyncEnumerable<GeneratedToken> StreamAsync(
        string prompt, GenerationOptions options, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = System.Threading.Channels.Channel.CreateUnbounded<GeneratedToken>();
        using var abandoned = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = Task.Run(
            () =>
            {
                try
                {
                    var result = Generate([tokenizer.Encode(prompt)], [options], (_, token) => channel.Writer.TryWrite(token), cancellationToken: abandoned.Token)[0];
                    channel.Writer.Complete(result.Error);
                }
                catch (Exception e)
                {
                    channel.Writer.Complete(e);
                }
            },
            CancellationToken.None);
        try
        {
            await foreach (var token in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                // ReadAllAsync drains buffered tokens without looking at the token: check it per token.
                cancellationToken.ThrowIfCancellationRequested();
                yield return token;
            }
        }
        finally
        {
            await abandoned.CancelAsync().ConfigureAwait(false);
            await run.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The engine: one batch of token prompts, each with its own options; <paramref name="onToken"/> sees every new
    /// token of sequence <c>i</c> with the text it completes. Sequences are isolated: one whose setup or sampling
    /// throws comes back <see cref="FinishReason.Failed"/> with its <see cref="GenerationResult.Error"/> while the
    /// others go on. A cancelled entry of <paramref name="sequenceCancellation"/> stops that sequence only (its
    /// caller left); <paramref name="cancellationToken"/> stops the batch.
    /// </summary>
    public IReadOnlyList<GenerationResult> Generate(
        IReadOnlyList<IReadOnlyList<int>> prompts,
        IReadOnlyList<GenerationOptions> options,
        Action<int, GeneratedToken>? onToken,
        IReadOnlyList<CancellationToken>? sequenceCancellation = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        var results = new GenerationResult?[prompts.Count];
        var sequences = new List<(int Index, SequenceState State)>();
        for (var i = 0; i < prompts.Count; i++)
        {
            try
            {
                sequences.Add((i, new SequenceState(prompts[i], options[i], tokenizer, model.Config, StopTokenIds)));
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                results[i] = SequenceState.Failed(prompts[i], e);
            }
        }

        if (sequences.Count > 0)
        {
            _gate.Wait(cancellationToken);
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                var cancellations = sequenceCancellation is null ? null : sequences.Select(s => sequenceCancellation[s.Index]).ToArray();
                Run([.. sequences.Select(s => s.State)], onToken is null ? null : (b, token) => onToken(sequences[b].Index, token), cancellations, cancellationToken);
                foreach (var (index, state) in sequences)
                {
                    results[index] = state.Result(); // inside the gate: once Dispose gets it, this batch is over
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        return results!;
    }

    /// <summary>
    /// Runs the batch on a <see cref="GenerationEngine"/> of its own, sized for it: every prompt joins at once and
    /// is prefilled whole, then all decode together; a sequence that ends leaves. Every tensor lives in a dispose
    /// scope, so none is a temporary that a garbage collection could finalize while libtorch uses it (see
    /// <c>Models/Torch/Scalars.cs</c>).
    /// </summary>
    private void Run(SequenceState[] sequences, Action<int, GeneratedToken>? onToken, CancellationToken[]? sequenceCancellation, CancellationToken cancellationToken)
    {
        var cacheTokens = sequences.Sum(s => (long)s.Prompt.Count + s.Options.MaxNewTokens + EngineLimits.DefaultPageSize);
        if (sequences.All(s => s.Done))
        {
            return;
        }

        var limits = new EngineLimits(sequences.Length, int.MaxValue, (int)Math.Min(cacheTokens, int.MaxValue - EngineLimits.DefaultPageSize));
        using var engine = new GenerationEngine(this, limits, gate: null);
        for (var b = 0; b < sequences.Length; b++)
        {
            var index = b;
            engine.Join(sequences[b], onToken is null ? null : token => onToken(index, token), sequenceCancellation?[b] ?? CancellationToken.None);
        }

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!engine.Step())
            {
                break;
            }
        }
    }

    /// <summary>
    /// A continuous-batching engine on this model, its cache preallocated to <paramref name="limits"/>, for a
    /// service whose sequences come and go; its steps and this generator's batches take turns, and disposing the
    /// generator waits for a step in flight. Dispose the engine first.
    /// </summary>
    public GenerationEngine CreateEngine(EngineLimits limits)
    {
        _gate.Wait();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return new GenerationEngine(this, limits, _gate);
        }
        finally
        {
            _gate.Release();
        }
    }

    internal bool IsDisposed => _disposed;

    /// <summary>Waits for a batch in flight to finish first: freeing the model under a running forward pass crashes libtorch.</summary>
    public void Dispose()
    {
        _gate.Wait();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            model.Dispose();
            (tokenizer as IDisposable)?.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }
}
