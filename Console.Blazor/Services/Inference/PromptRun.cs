using System.Diagnostics;

namespace AdminConsole.Services.Inference;

/// <summary>
/// One prompt sent to a service, measured: the text as it arrives, time to the first text (latency), total time,
/// and tokens (the server's count when it gives one, else the streamed pieces, one per token). Errors end the run
/// with the service's message.
/// </summary>
public sealed class PromptRun
{
    private long _started;

    public string Text { get; private set; } = "";

    public TimeSpan? FirstText { get; private set; }

    public TimeSpan? Total { get; private set; }

    public int? Tokens { get; private set; }

    public string? Error { get; private set; }

    /// <summary>Why the text ended, as the server said ("stop", "length"); null until it says.</summary>
    public string? FinishReason { get; private set; }

    public bool Running { get; private set; }

    /// <summary>Decode speed: tokens after the first over the time after the first; a single response's tokens over its whole time.</summary>
    public double? TokensPerSecond => (Tokens, FirstText, Total) switch
    {
        ({ } tokens, { } first, { } total) when tokens > 1 && total > first => (tokens - 1) / (total - first).TotalSeconds,
        ({ } tokens, _, { } total) when tokens > 0 && total > TimeSpan.Zero => tokens / total.TotalSeconds,
        _ => null,
    };

    /// <param name="changed">Called after each piece of text, to re-render.</param>
    public Task RunAsync(
        IInferenceClient client, PromptProtocol protocol, string prompt, GenerationSettings settings, Func<Task> changed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        return MeasureAsync(client, changed, async model =>
        {
            if (protocol == PromptProtocol.KServeV1)
            {
                Append(await client.PredictAsync(model, prompt, settings, cancellationToken), null);
                return;
            }

            await StreamAsync(client.CompleteAsync(model, prompt, settings, protocol == PromptProtocol.OpenAIStreaming, cancellationToken), protocol == PromptProtocol.OpenAIStreaming, changed);
        }, cancellationToken);
    }

    /// <summary>A chat reply to <paramref name="messages"/>, streamed.</summary>
    /// <param name="changed">Called after each piece of text, to re-render.</param>
    public Task ChatAsync(
        IInferenceClient client, IReadOnlyList<ChatMessage> messages, GenerationSettings settings, Func<Task> changed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        return MeasureAsync(client, changed, model => StreamAsync(client.ChatAsync(model, messages, settings, cancellationToken), true, changed), cancellationToken);
    }

    private async Task MeasureAsync(IInferenceClient client, Func<Task> changed, Func<string, Task> send, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changed);
        (Text, FirstText, Total, Tokens, Error, FinishReason, Running) = ("", null, null, null, null, null, true);
        _started = Stopwatch.GetTimestamp();
        try
        {
            var model = await client.GetModelAsync(cancellationToken);
            _started = Stopwatch.GetTimestamp(); // latency is the prompt's, not the model lookup's
            await send(model);
        }
        catch (InferenceException e)
        {
            Error = e.Message;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Error = "Stopped.";
        }
        finally
        {
            Total = Stopwatch.GetElapsedTime(_started);
            Running = false;
        }

        await changed();
    }

    /// <summary>Appends each piece; a stream's pieces count its tokens when the server gives no count.</summary>
    private async Task StreamAsync(IAsyncEnumerable<CompletionChunk> chunks, bool streamed, Func<Task> changed)
    {
        var pieces = 0;
        await foreach (var chunk in chunks)
        {
            pieces += chunk.Text.Length > 0 ? 1 : 0;
            Append(chunk.Text, chunk.CompletionTokens);
            FinishReason = chunk.FinishReason ?? FinishReason;
            await changed();
        }

        Tokens ??= streamed ? pieces : null;
    }

    private void Append(string text, int? tokens)
    {
        if (text.Length > 0 && FirstText is null)
        {
            FirstText = Stopwatch.GetElapsedTime(_started);
        }

        Text += text;
        if (tokens is not null)
        {
            Tokens = tokens;
        }
    }
}
