using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace Inference.Protocols.OpenAI;

/// <summary>
/// Server-sent events as OpenAI streams them: <c>data: {json}</c> and a blank line per event, each flushed at once,
/// ending with <c>data: [DONE]</c>.
/// </summary>
internal sealed class EventStream(HttpResponse response)
{
    private static readonly byte[] Prefix = "data: "u8.ToArray();
    private static readonly byte[] Separator = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    /// <summary>Sends the headers now, so the client sees the stream open before the first token.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // proxies such as nginx must not hold events back
        response.HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.Body.FlushAsync(cancellationToken);
    }

    public async Task WriteAsync<T>(T value, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(value, OpenAIJson.Options);
        await response.Body.WriteAsync(Prefix, cancellationToken);
        await response.Body.WriteAsync(json, cancellationToken);
        await response.Body.WriteAsync(Separator, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    public async Task DoneAsync(CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(Done, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Runs the body of a stream already started; a failure can no longer change the status, so it becomes an error
    /// event (as vLLM sends it) followed by <c>[DONE]</c>. A client that left gets nothing more.
    /// </summary>
    public async Task RunAsync(Func<Task> body, CancellationToken cancellationToken)
    {
        try
        {
            await body();
        }
        catch (Exception e) when (e is not OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var (_, error) = OpenAIErrors.For(e, response.HttpContext);
            await WriteAsync(new ErrorResponse(error), cancellationToken);
            await DoneAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // the client left: the batch was cancelled with it
        }
    }
}
