using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Inference.Protocols;
using Inference.Protocols.OpenAI;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Inference.Tests;

/// <summary>
/// 500s in every protocol's shape: the client gets a short message with the request id, the log gets the exception
/// under the same id. The failure comes from test-only endpoints, mapped on the real service in route groups with each
/// protocol family's own error mapping.
/// </summary>
public sealed class InternalErrorTests : IAsyncLifetime
{
    private const string Secret = "secret detail from a native frame";
    private const string TraceId = "0af7651916cd43dd8448eb211c80319c";

    private readonly ConcurrentQueue<LogEntry> _logs = new();
    private InferenceServer _server = null!;

    public async Task InitializeAsync() => _server = await InferenceServer.StartAsync(
        [], configure: builder => builder.Logging.AddProvider(new LogSink(_logs)), map: app =>
        {
            static Task<IResult> Fail() => throw new InvalidOperationException(Secret);
            static Delegate Handler(Func<HttpContext, Task<IResult>> handle) => handle; // a route handler: its IResult is written
            app.MapGroup("/test").WithKServeErrors().MapPost("/kserve", Handler(_ => Fail()));
            var openai = app.MapGroup("/test").WithOpenAIErrors();
            openai.MapPost("/openai", Handler(_ => Fail()));
            openai.MapPost("/openai-stream", Handler(async context =>
            {
                var stream = new EventStream(context.Response);
                await stream.StartAsync(context.RequestAborted);
                await stream.RunAsync(Fail, context.RequestAborted);
                return Results.Empty;
            }));
        });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [SkippableFact]
    public async Task A_kserve_500_quotes_the_trace_id_and_the_log_has_the_exception()
    {
        using var response = await SendAsync("/test/kserve", traced: true);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var json = await InferenceServer.JsonAsync(response);
        V2Schema.AssertValid("inference_error_response", json);
        Assert.Equal($"Internal server error (request id {TraceId}).", json.GetProperty("error").GetString());
        AssertLogged(TraceId);
    }

    [SkippableFact]
    public async Task An_openai_500_is_an_openai_error_with_the_request_id()
    {
        using var response = await SendAsync("/test/openai", traced: false);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var json = await InferenceServer.JsonAsync(response);
        OpenAISchema.AssertValid("ErrorResponse", json);
        var error = json.GetProperty("error");
        Assert.Equal(("server_error", "internal_error"), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
        var message = error.GetProperty("message").GetString()!;
        Assert.Matches("^Internal server error \\(request id [0-9a-f]{32}\\)\\.$", message);
        AssertLogged(message["Internal server error (request id ".Length..^2]);
    }

    [SkippableFact]
    public async Task A_failure_mid_stream_is_an_error_event_with_the_request_id()
    {
        using var response = await SendAsync("/test/openai-stream", traced: true);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // the stream had started
        var text = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
        using var error = JsonDocument.Parse(text.Split("\n\n")[0]["data: ".Length..]);
        OpenAISchema.AssertValid("ErrorResponse", error.RootElement);
        Assert.Equal($"Internal server error (request id {TraceId}).", error.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        AssertLogged(TraceId);
    }

    private async Task<HttpResponseMessage> SendAsync(string path, bool traced)
    {
        // Traced: the call is part of the caller's trace (its traceparent header is what the client sends).
        using var caller = traced ? new Activity("caller").SetParentId(ActivityTraceId.CreateFromString(TraceId), ActivitySpanId.CreateRandom()).Start() : null;
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{}") };
        var response = await _server.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(Secret, body, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(InvalidOperationException), body, StringComparison.Ordinal);
        return response;
    }

    private void AssertLogged(string requestId) => Assert.Contains(_logs, entry =>
        entry.Level == LogLevel.Error && entry.Message.Contains(requestId, StringComparison.Ordinal)
        && entry.Exception is InvalidOperationException { Message: Secret });
}
