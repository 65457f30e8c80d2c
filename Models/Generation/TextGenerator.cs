using Models.Architectures;
using Models.Tokenization;
using static TorchSharp.torch;

namespace Models.Generation;

/// <summary>
/// The generation engine every architecture and protocol shares: batched prompts (left-padded, with attention
/// masks), a key/value cache, per-sequence sampling, stop sequences and end-of-text, token-by-token streaming and
/// cancellation. One generation runs at a time per model. Owns the model: disposing the generator releases it.
/// </summary>
public sealed class TextGenerator(ICausalLanguageModel model, ModelTokenizer tokenizer) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1); // one batch at a time; never disposed, as callers may still be waiting on it
    private bool _disposed;

    public ICausalLanguageModel Model => model;

    public ModelTokenizer Tokenizer => tokenizer;

    /// <summary>Continues each prompt; all run as one batch.</summary>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<string> prompts, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        return Generate([.. prompts.Select(tokenizer.Encode)], [.. prompts.Select(_ => options)], onToken: null, cancellationToken: cancellationToken);
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
                    Generate([tokenizer.Encode(prompt)], [options], (_, token) => channel.Writer.TryWrite(token), cancellationToken: abandoned.Token);
                    channel.Writer.Complete();
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
    /// token of sequence <c>i</c> with the text it completes. A cancelled entry of <paramref name="sequenceCancellation"/>
    /// stops that sequence only (its caller left); <paramref name="cancellationToken"/> stops the batch.
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
        var sequences = prompts.Select((prompt, i) => new SequenceState(prompt, options[i], tokenizer, model.Config)).ToArray();
        if (sequences.Length == 0)
        {
            return [];
        }

        _gate.Wait(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Run(sequences, onToken, sequenceCancellation, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }

        return [.. sequences.Select(s => s.Result())];
    }

    private void Run(SequenceState[] sequences, Action<int, GeneratedToken>? onToken, IReadOnlyList<CancellationToken>? sequenceCancellation, CancellationToken cancellationToken)
    {
        var longestPrompt = sequences.Max(s => s.Prompt.Count);
        var steps = sequences.Max(s => s.Options.MaxNewTokens);
        if (steps == 0)
        {
            return;
        }

        using var cache = model.CreateCache(sequences.Length, longestPrompt + steps);
        var pad = model.Config.EndOfTextId ?? 0;
        var ids = new long[sequences.Length, longestPrompt];
        var mask = new long[sequences.Length, longestPrompt + steps];
        var positions = new long[sequences.Length, longestPrompt];
        for (var b = 0; b < sequences.Length; b++)
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

        using var maskTensor = tensor(mask);
        var input = tensor(ids);
        var inputPositions = tensor(positions);
        var next = new long[sequences.Length];
        for (var step = 0; step < steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            float[] logits;
            using (var scope = NewDisposeScope())
            {
                var output = model.Forward(input, inputPositions, maskTensor.narrow(1, 0, cache.Length + input.shape[1]), cache, lastTokenOnly: true);
                logits = output.select(1, output.shape[1] - 1).cpu().data<float>().ToArray();
            }

            input.Dispose();
            inputPositions.Dispose();
            var vocabulary = logits.Length / sequences.Length;
            for (var b = 0; b < sequences.Length; b++)
            {
                var sequence = sequences[b];
                if (sequenceCancellation is not null && sequenceCancellation[b].IsCancellationRequested)
                {
                    sequence.Cancel();
                }

                next[b] = sequence.Done ? pad : sequence.Append(logits.AsSpan(b * vocabulary, vocabulary), b, onToken);
            }

            if (sequences.All(s => s.Done))
            {
                break;
            }

            using (var nextMask = maskTensor.narrow(1, longestPrompt + step, 1))
            {
                nextMask.fill_(1);
            }

            input = tensor(next).unsqueeze(1);
            inputPositions = tensor(sequences.Select(s => (long)(s.Prompt.Count + s.Generated.Count - 1)).ToArray()).unsqueeze(1);
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
        }
        finally
        {
            _gate.Release();
        }
    }
}
