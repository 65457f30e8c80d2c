using System.Threading.Channels;
using Inference.Serving;
using Models.Generation;

namespace Inference.Protocols;

/// <summary>A piece of one choice's text as it streams, or (with <see cref="Finished"/>) the end of that choice.</summary>
internal readonly record struct ChoiceEvent(int Index, string Text, GenerationResult? Finished);

/// <summary>
/// One request's prompts (any protocol), all submitted to the served model at once (so they share batches). Disposing it
/// cancels whatever still waits or runs: the client left, a sibling prompt was refused or failed, or the stream broke off.
/// </summary>
internal sealed class GenerationBatch : IDisposable
{
    private readonly CancellationTokenSource _cancellation;
    private readonly List<GenerationRequest> _requests = [];

    private GenerationBatch(CancellationToken aborted) => _cancellation = CancellationTokenSource.CreateLinkedTokenSource(aborted);

    public CancellationToken Token => _cancellation.Token;

    /// <exception cref="QueueFullException">The queue has no room for every prompt (those already queued are cancelled).</exception>
    /// <exception cref="InvalidRequestException">A prompt does not fit the context (those already queued are cancelled).</exception>
    public static GenerationBatch Submit(IServedModel model, IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<GenerationOptions> options, CancellationToken aborted)
    {
        var batch = new GenerationBatch(aborted);
        try
        {
            for (var i = 0; i < prompts.Count; i++)
            {
                batch._requests.Add(model.Submit(prompts[i], options[i], batch.Token));
            }

            return batch;
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    /// <summary>Every choice's result, in prompt order; throws <see cref="OperationCanceledException"/> if the client left.</summary>
    public async Task<GenerationResult[]> CompleteAsync()
    {
        var results = await Task.WhenAll(_requests.Select(r => r.Completion.Task));
        return results.Any(r => r.FinishReason == FinishReason.Cancelled) ? throw new OperationCanceledException(Token) : results;
    }

    /// <summary>Every choice's non-empty text pieces as they are generated (interleaved), each choice ending with its result.</summary>
    public async IAsyncEnumerable<ChoiceEvent> StreamAsync()
    {
        var merged = Channel.CreateUnbounded<ChoiceEvent>();
        var pumps = _requests.Select((request, index) => PumpAsync(request, index, merged.Writer, Token)).ToArray();
        _ = CompleteWhenDoneAsync(pumps, merged.Writer);
        await foreach (var item in merged.Reader.ReadAllAsync(Token))
        {
            yield return item;
        }
    }

    public void Dispose()
    {
        _cancellation.Cancel();
        _cancellation.Dispose();
    }

    private static async Task PumpAsync(GenerationRequest request, int index, ChannelWriter<ChoiceEvent> events, CancellationToken cancellationToken)
    {
        // Watch the result as well as the tokens: a request refused before it ran (shutdown) never completes its channel.
        var tokens = request.Tokens.Reader;
        while (true)
        {
            var more = tokens.WaitToReadAsync(cancellationToken).AsTask();
            var first = await Task.WhenAny(more, request.Completion.Task);
            while (tokens.TryRead(out var token))
            {
                if (token.Text.Length > 0)
                {
                    events.TryWrite(new ChoiceEvent(index, token.Text, null));
                }
            }

            if (first != more || !await more)
            {
                break;
            }
        }

        var result = await request.Completion.Task;
        if (result.FinishReason == FinishReason.Cancelled)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        events.TryWrite(new ChoiceEvent(index, "", result));
    }

    private static async Task CompleteWhenDoneAsync(Task[] pumps, ChannelWriter<ChoiceEvent> events)
    {
        // The first failure ends the stream at once, without waiting for the other choices.
        var pending = pumps.ToList();
        try
        {
            while (pending.Count > 0)
            {
                var done = await Task.WhenAny(pending);
                await done;
                pending.Remove(done);
            }

            events.TryComplete();
        }
        catch (Exception e)
        {
            events.TryComplete(e);
        }
    }
}
