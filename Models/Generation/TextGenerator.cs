using System.Runtime.ExceptionServices;
using Models.Architectures;
using Models.Tokenization;
using static TorchSharp.torch;

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
    /// Runs the batch. Every tensor lives in a dispose scope, so none is a temporary that a garbage collection could
    /// finalize while libtorch uses it (see <c>Models/Torch/Scalars.cs</c>).
    /// </summary>
    private void Run(SequenceState[] sequences, Action<int, GeneratedToken>? onToken, CancellationToken[]? sequenceCancellation, CancellationToken cancellationToken)
    {
        var longestPrompt = sequences.Max(s => s.Prompt.Count);
        var steps = sequences.Max(s => s.Options.MaxNewTokens);
        if (steps == 0)
        {
            return;
        }

        var batch = sequences.Length;
        using var cache = model.CreateCache(batch, longestPrompt + steps);
        var pad = model.Config.EndOfTextId ?? 0;
        var ids = new long[batch, longestPrompt];
        var mask = new long[batch, longestPrompt + steps];
        var positions = new long[batch, longestPrompt];
        for (var b = 0; b < batch; b++)
        {
            var prompt = sequences[b].Prompt;
            var offset = longestPrompt - prompt.Count; // left padding keeps every sequence's last token in the last column
            for (var t = 0; t < longestPrompt; t++)
            {
                ids[b, t] = t < offset ? pad : prompt[t - offset];
                mask[b, t] = t < offset ? 0 : 1;
                positions[b, t] = Math.Max(0, t - offset);
            }
        }

        for (var step = 0; step < steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            float[] logits;
            using (NewDisposeScope())
            {
                var maskTensor = tensor(mask).narrow(1, 0, cache.Length + ids.GetLength(1));
                var output = model.Forward(tensor(ids), tensor(positions), maskTensor, cache, lastTokenOnly: true);
                logits = output.select(1, output.shape[1] - 1).cpu().data<float>().ToArray();
            }

            var vocabulary = logits.Length / batch;
            ids = new long[batch, 1];
            positions = new long[batch, 1];
            for (var b = 0; b < batch; b++)
            {
                var sequence = sequences[b];
                if (sequenceCancellation is not null && sequenceCancellation[b].IsCancellationRequested)
                {
                    sequence.Cancel();
                }

                ids[b, 0] = sequence.Done ? pad : Sample(sequence, logits.AsSpan(b * vocabulary, vocabulary), b, onToken, pad);
                positions[b, 0] = sequence.Prompt.Count + sequence.Generated.Count - 1;
                mask[b, longestPrompt + step] = 1;
            }

            if (sequences.All(s => s.Done))
            {
                break;
            }
        }
    }

    /// <summary>The next token of one sequence; a sampling failure ends that sequence alone.</summary>
    private static long Sample(SequenceState sequence, Span<float> logits, int index, Action<int, GeneratedToken>? onToken, int pad)
    {
        try
        {
            return sequence.Append(logits, index, onToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            sequence.Fail(e);
            return pad;
        }
    }

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
