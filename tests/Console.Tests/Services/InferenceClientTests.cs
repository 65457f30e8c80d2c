using System.Net;
using System.Net.Sockets;
using AdminConsole.Services.Inference;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AdminConsole.Tests.Services;

/// <summary>How the client fails: every failure is an <see cref="InferenceException"/> with the service's words, and nothing waits past its deadline.</summary>
public sealed class InferenceClientTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task A_service_that_is_not_listening_is_reported_unreachable()
    {
        var port = EndToEnd.Servers.FreePort();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        var client = new InferenceClient("gptj", http, Short, Short);

        var error = await Assert.ThrowsAsync<InferenceException>(() => client.GetStatusAsync(CancellationToken.None));

        Assert.Contains($"gptj (http://127.0.0.1:{port}/) is unreachable", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_that_accepts_but_never_answers_times_out_on_the_status_deadline()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/") };
        var client = new InferenceClient("gptj", http, Short, TimeSpan.FromMinutes(5));

        var error = await Assert.ThrowsAsync<InferenceException>(() => client.GetStatusAsync(CancellationToken.None));

        // The status deadline ended it, not the five-minute generation one: the message names the deadline that fired.
        Assert.Contains("did not answer within 0.3 s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_callers_own_cancellation_stays_a_cancellation()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/") };
        var client = new InferenceClient("gptj", http, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        using var cancel = new CancellationTokenSource(Short);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetStatusAsync(cancel.Token));
    }

    [Fact]
    public async Task Error_bodies_of_both_protocols_become_the_message()
    {
        await using var server = await StubServer.StartAsync(app =>
        {
            app.MapGet("/v1/models", () => Results.Json(new { models = new[] { "gptj" } }));
            app.MapPost("/v1/models/{target}", () => Results.Json(new { error = "Model with name gptj is not ready." }, statusCode: 503));
            app.MapPost("/v1/completions", () => Results.Json(new { error = new { message = "'top_p' must be greater than 0.", type = "invalid_request_error" } }, statusCode: 400));
        });
        using var http = new HttpClient { BaseAddress = server.Address };
        var client = new InferenceClient("gptj", http, Short, TimeSpan.FromSeconds(10));

        var v1 = await Assert.ThrowsAsync<InferenceException>(() => client.PredictAsync("gptj", "Hi", new GenerationSettings(), CancellationToken.None));
        var openai = await Assert.ThrowsAsync<InferenceException>(() => Drain(client.CompleteAsync("gptj", "Hi", new GenerationSettings(), stream: true, CancellationToken.None)));

        Assert.Equal("gptj answered 503 Service Unavailable: Model with name gptj is not ready.", v1.Message);
        Assert.Equal(503, v1.StatusCode);
        Assert.Equal("gptj answered 400 Bad Request: 'top_p' must be greater than 0.", openai.Message);
    }

    [Fact]
    public async Task A_stream_is_read_event_by_event_and_an_error_event_or_a_cut_stream_fails_it()
    {
        await using var server = await StubServer.StartAsync(app => app.MapPost("/v1/completions", async (HttpContext context) =>
        {
            var prompt = (await context.Request.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["prompt"]!.GetValue<string>();
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync("data: {\"choices\":[{\"index\":0,\"text\":\" a\",\"finish_reason\":null}]}\n\n");
            await context.Response.WriteAsync(": keep-alive comment\n\n");
            await context.Response.WriteAsync(prompt switch
            {
                "error" => "data: {\"error\":{\"message\":\"The model failed mid-stream.\"}}\n\ndata: [DONE]\n\n",
                "cut" => "",
                _ => "data: {\"choices\":[{\"index\":0,\"text\":\" b\",\"finish_reason\":\"length\"}]}\n\n"
                    + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n",
            });
        }));
        using var http = new HttpClient { BaseAddress = server.Address };
        var client = new InferenceClient("gptj", http, Short, TimeSpan.FromSeconds(10));

        var chunks = await Drain(client.CompleteAsync("gptj", "ok", new GenerationSettings(), stream: true, CancellationToken.None));
        var error = await Assert.ThrowsAsync<InferenceException>(() => Drain(client.CompleteAsync("gptj", "error", new GenerationSettings(), true, CancellationToken.None)));
        var cut = await Assert.ThrowsAsync<InferenceException>(() => Drain(client.CompleteAsync("gptj", "cut", new GenerationSettings(), true, CancellationToken.None)));

        Assert.Equal([" a", " b", ""], chunks.Select(c => c.Text));
        Assert.Equal("length", chunks[1].FinishReason);
        Assert.Equal(2, chunks[2].CompletionTokens);
        Assert.Equal("gptj: The model failed mid-stream.", error.Message);
        Assert.Equal("gptj ended the stream without [DONE].", cut.Message);
    }

    [Fact]
    public async Task A_chat_sends_the_conversation_and_settings_and_reads_the_deltas_usage_and_finish_reason()
    {
        System.Text.Json.Nodes.JsonObject? sent = null;
        await using var server = await StubServer.StartAsync(app => app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            sent = await context.Request.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>();
            context.Response.ContentType = "text/event-stream";
            const string Head = "\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"llama\"";
            await context.Response.WriteAsync($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"\"}},\"finish_reason\":null}}]}}\n\n");
            await context.Response.WriteAsync($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"Hel\"}},\"finish_reason\":null}}]}}\n\n");
            await context.Response.Body.FlushAsync();
            await context.Response.WriteAsync($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"lo ✓\"}},\"finish_reason\":null}}]}}\n\n");
            await context.Response.WriteAsync($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"stop\"}}]}}\n\n");
            await context.Response.WriteAsync($"data: {{{Head},\"choices\":[],\"usage\":{{\"prompt_tokens\":9,\"completion_tokens\":3,\"total_tokens\":12}}}}\n\ndata: [DONE]\n\n");
        }));
        using var http = new HttpClient { BaseAddress = server.Address };
        var client = new InferenceClient("llama", http, Short, TimeSpan.FromSeconds(10));
        ChatMessage[] messages = [new(ChatMessage.System, "Be terse."), new(ChatMessage.User, "Hi"), new(ChatMessage.Assistant, "Hello."), new(ChatMessage.User, "Again")];
        var settings = new GenerationSettings { MaxTokens = 7, Temperature = 0.5, TopP = 0.9, TopK = 40, Seed = 42 };

        var chunks = await Drain(client.ChatAsync("llama", messages, settings, CancellationToken.None));

        Assert.Equal("Hello ✓", string.Concat(chunks.Select(c => c.Text)));
        Assert.Equal(["", "Hel", "lo ✓", "", ""], chunks.Select(c => c.Text));
        Assert.Equal("stop", chunks[3].FinishReason);
        Assert.Equal(3, chunks[^1].CompletionTokens);
        Assert.NotNull(sent);
        Assert.Equal(
            """[{"role":"system","content":"Be terse."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello."},{"role":"user","content":"Again"}]""",
            sent["messages"]!.ToJsonString());
        Assert.Equal("llama", sent["model"]!.GetValue<string>());
        Assert.Equal(7, sent["max_tokens"]!.GetValue<int>());
        Assert.Equal(0.5, sent["temperature"]!.GetValue<double>());
        Assert.Equal(0.9, sent["top_p"]!.GetValue<double>());
        Assert.Equal(40, sent["top_k"]!.GetValue<int>());
        Assert.Equal(42, sent["seed"]!.GetValue<int>());
        Assert.True(sent["stream"]!.GetValue<bool>());
        Assert.True(sent["stream_options"]!["include_usage"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_chat_fails_with_the_services_message_and_stops_when_its_caller_cancels()
    {
        await using var server = await StubServer.StartAsync(app => app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            var body = await context.Request.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>();
            if (body!["messages"]![0]!["content"]!.GetValue<string>() == "bad")
            {
                await Results.Json(new { error = new { message = "Conversation roles must alternate user/assistant/user/assistant/...", type = "invalid_request_error" } }, statusCode: 400)
                    .ExecuteAsync(context);
                return;
            }

            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Once\"},\"finish_reason\":null}]}\n\n");
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted); // a reply that would go on
        }));
        using var http = new HttpClient { BaseAddress = server.Address };
        var client = new InferenceClient("llama", http, Short, TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<InferenceException>(() => Drain(client.ChatAsync("llama", [new(ChatMessage.User, "bad")], new GenerationSettings(), CancellationToken.None)));
        Assert.Equal("llama answered 400 Bad Request: Conversation roles must alternate user/assistant/user/assistant/...", error.Message);

        using var stop = new CancellationTokenSource();
        var pieces = new List<string>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var chunk in client.ChatAsync("llama", [new(ChatMessage.User, "story")], new GenerationSettings(), stop.Token))
            {
                pieces.Add(chunk.Text);
                await stop.CancelAsync(); // Stop, as the playground's button does, once the first piece is in
            }
        });
        Assert.Equal(["Once"], pieces);
    }

    private static async Task<List<CompletionChunk>> Drain(IAsyncEnumerable<CompletionChunk> chunks)
    {
        var list = new List<CompletionChunk>();
        await foreach (var chunk in chunks)
        {
            list.Add(chunk);
        }

        return list;
    }
}
