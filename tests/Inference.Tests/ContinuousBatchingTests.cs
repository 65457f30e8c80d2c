using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Inference.Hosting;
using Inference.Serving;
using Microsoft.Extensions.DependencyInjection;
using Models.Generation;
using Tensorizer.Configuration;
using static Inference.Tests.OpenAIClient;

namespace Inference.Tests;

/// <summary>
/// Continuous batching as users see it: requests join and leave a running batch between steps, each with its own
/// cache pages and settings; results equal those of a request alone; the cache bounds what is admitted. Ordered by
/// events and tokens, never by elapsed-time ratios.
/// </summary>
public class ContinuousBatchingTests
{
    private const string Predict = "/v1/models/gptj:predict";
    private const string Completions = "/openai/v1/completions";

    [Fact]
    public async Task A_short_request_is_answered_while_a_long_completion_is_still_streaming()
    {
        await using var server = await InferenceServer.StartAsync(new() { [SettingNames.MaxBatchSize] = "8" });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var stream = await OpenStreamAsync(
            server, Completions, JsonSerializer.Serialize(new { model = "gptj", prompt = "Once upon a time", max_tokens = 480, ignore_eos = true, stream = true }), cancel.Token);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(cancel.Token));
        Assert.StartsWith("data: ", await reader.ReadLineAsync(cancel.Token), StringComparison.Ordinal); // it is streaming

        var shortOne = await server.Client.PostAsJsonAsync(Predict, new { instances = new[] { "Hello" }, parameters = new { max_new_tokens = 4 } }, cancel.Token);
        Assert.Equal(HttpStatusCode.OK, shortOne.StatusCode);
        var engine = (await server.Client.GetFromJsonAsync<JsonElement>("/status", cancel.Token)).GetProperty("engine");
        Assert.Equal(1, engine.GetProperty("running").GetInt32()); // the long one: still running after the short one ended

        var rest = await reader.ReadToEndAsync(cancel.Token);
        Assert.Contains("\"finish_reason\":\"length\"", rest, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", rest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requests_joining_a_running_batch_get_what_each_gets_alone_greedy_or_seeded()
    {
        await using var server = await InferenceServer.StartAsync(new() { [SettingNames.MaxBatchSize] = "8" });
        object[] requests =
        [
            new { instances = new[] { "The quick brown fox" }, parameters = new { max_new_tokens = 12, do_sample = false } },
            new { instances = new[] { "Hello" }, parameters = new { max_new_tokens = 5, do_sample = false, repetition_penalty = 1.3 } },
            new { instances = new[] { "Once upon a time, there was a" }, parameters = new { max_new_tokens = 9, do_sample = true, temperature = 0.8, top_k = 20, seed = 7 } },
            new { instances = new[] { "A", "Two prompts in one request" }, parameters = new { max_new_tokens = 7, do_sample = false, stop = new[] { "e" } } },
        ];
        var alone = new List<string>();
        foreach (var request in requests)
        {
            alone.Add(await TextAsync(await server.Client.PostAsJsonAsync(Predict, request)));
        }

        // Beside a long generation, all at once: they join between its steps, at different lengths.
        var model = server.Services.GetRequiredService<IServedModel>();
        using var longOne = new CancellationTokenSource();
        var running = model.Submit(model.Encode("It was a dark and stormy night", true, 100, default), new GenerationOptions { MaxNewTokens = 480, StopAtEndOfText = false }, longOne.Token);
        await running.Tokens.Reader.ReadAsync();
        var together = await Task.WhenAll(requests.Select(async r => await TextAsync(await server.Client.PostAsJsonAsync(Predict, r))));

        Assert.Equal(alone, together);
        await longOne.CancelAsync();
        Assert.Equal(FinishReason.Cancelled, (await running.Completion.Task).FinishReason); // it ran beside them all along
    }

    [Fact]
    public async Task A_long_prompt_prefilled_in_chunks_beside_decoding_sequences_gets_the_tokens_of_a_whole_prefill()
    {
        await using var server = await InferenceServer.StartAsync(new() { [SettingNames.MaxBatchedTokens] = "4" });
        var model = server.Services.GetRequiredService<IServedModel>();
        var prompt = model.Encode(string.Concat(Enumerable.Repeat("A long prompt that takes many steps to prefill. ", 8)), true, 500, default);
        Assert.True(prompt.Count > 40);
        var options = new GenerationOptions { MaxNewTokens = 10, StopAtEndOfText = false };
        // The reference: the whole prompt in one forward pass (TextGenerator's own batch).
        var whole = server.Services.GetRequiredService<ModelHost>().Generator.Generate([prompt], [options], onToken: null)[0];

        using var others = new CancellationTokenSource();
        var decoding = Enumerable.Range(0, 2)
            .Select(i => model.Submit(model.Encode($"Decoder {i}", true, 100, default), new GenerationOptions { MaxNewTokens = 400, StopAtEndOfText = false }, others.Token))
            .ToList();
        foreach (var request in decoding)
        {
            await request.Tokens.Reader.ReadAsync();
        }

        var chunked = await model.Submit(prompt, options, default).Completion.Task;
        Assert.Equal(whole.Tokens, chunked.Tokens);
        await others.CancelAsync();
        Assert.All(await Task.WhenAll(decoding.Select(d => d.Completion.Task)), r => Assert.Equal(FinishReason.Cancelled, r.FinishReason));
    }

    [Fact]
    public async Task Cancelling_a_running_request_frees_its_place_and_its_cache_for_the_next_at_once()
    {
        await using var server = await InferenceServer.StartAsync(new() { [SettingNames.MaxBatchSize] = "1", [SettingNames.KvCacheTokens] = "512" });
        var model = server.Services.GetRequiredService<IServedModel>();
        var options = new GenerationOptions { MaxNewTokens = 480, StopAtEndOfText = false };
        using var leaving = new CancellationTokenSource();
        var first = model.Submit(model.Encode("First", true, 100, default), options, leaving.Token);
        await first.Tokens.Reader.ReadAsync();
        var second = model.Submit(model.Encode("Second", true, 100, default), options with { MaxNewTokens = 3 }, default);

        await leaving.CancelAsync();
        var result = await first.Completion.Task;
        Assert.Equal(FinishReason.Cancelled, result.FinishReason);
        Assert.True(result.Tokens.Count < 480);
        Assert.Equal(3, (await second.Completion.Task).Tokens.Count);

        var engine = (await server.Client.GetFromJsonAsync<JsonElement>("/status")).GetProperty("engine");
        Assert.Equal(0, engine.GetProperty("running").GetInt32());
        Assert.Equal(0, engine.GetProperty("usedCacheTokens").GetInt32());
        Assert.Equal(512, engine.GetProperty("cacheTokens").GetInt32());
        Assert.True(engine.GetProperty("cacheBytes").GetInt64() > 0);
    }

    [Fact]
    public async Task A_request_the_cache_can_never_hold_is_a_400_and_one_that_must_wait_for_room_queues()
    {
        await using var server = await InferenceServer.StartAsync(new() { [SettingNames.MaxBatchSize] = "4", [SettingNames.KvCacheTokens] = "64" });
        var tooLarge = await server.Client.PostAsJsonAsync(Predict, new { instances = new[] { "Hello" }, parameters = new { max_new_tokens = 100 } });
        Assert.Equal(HttpStatusCode.BadRequest, tooLarge.StatusCode);
        Assert.Contains("KV cache", (await InferenceServer.JsonAsync(tooLarge)).GetProperty("error").GetString()!, StringComparison.Ordinal);
        var (status, json) = await PostAsync(server, Completions, JsonSerializer.Serialize(new { model = "gptj", prompt = "Hello", max_tokens = 100 }));
        Assert.Equal(400, status);
        Assert.Equal("context_length_exceeded", json.GetProperty("error").GetProperty("code").GetString());

        // Two that fit alone but not together: the second waits in the queue until the first is done.
        var model = server.Services.GetRequiredService<IServedModel>();
        var options = new GenerationOptions { MaxNewTokens = 40, StopAtEndOfText = false };
        var first = model.Submit(model.Encode("First", true, 100, default), options, default);
        await first.Tokens.Reader.ReadAsync();
        var second = model.Submit(model.Encode("Second", true, 100, default), options, default);
        await second.Tokens.Reader.ReadAsync();
        Assert.True(first.Completion.Task.IsCompleted, "the second started before the first freed the cache");
        Assert.Equal(40, (await second.Completion.Task).Tokens.Count);
    }

    [Fact]
    public async Task Past_the_queue_capacity_requests_get_503_with_retry_after_on_every_protocol()
    {
        await using var server = await InferenceServer.StartAsync(new() { [SettingNames.MaxBatchSize] = "1", [SettingNames.QueueCapacity] = "1" });
        var model = server.Services.GetRequiredService<IServedModel>();
        using var busy = new CancellationTokenSource();
        var options = new GenerationOptions { MaxNewTokens = 480, StopAtEndOfText = false };
        var running = model.Submit(model.Encode("Running", true, 100, default), options, busy.Token);
        await running.Tokens.Reader.ReadAsync();
        var waiting = model.Submit(model.Encode("Waiting", true, 100, default), options, busy.Token); // the queue's one place

        var kserve = await server.Client.PostAsJsonAsync(Predict, new { instances = new[] { "Hello" }, parameters = new { max_new_tokens = 2 } });
        using var openAI = await server.Client.PostAsync(Completions, OpenAIClient.Json(JsonSerializer.Serialize(new { model = "gptj", prompt = "Hello", max_tokens = 2 })));
        foreach (var response in new[] { kserve, openAI })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        }

        await busy.CancelAsync();
        await Task.WhenAll(running.Completion.Task, waiting.Completion.Task.ContinueWith(_ => { }, TaskScheduler.Default));
    }

    [Fact]
    public async Task The_engine_and_its_cache_are_reported_in_status_and_metrics()
    {
        await using var server = await InferenceServer.StartAsync(new() { [SettingNames.MaxBatchSize] = "4", [SettingNames.MaxBatchedTokens] = "128", [SettingNames.KvCacheTokens] = "1000" });
        var response = await server.Client.PostAsJsonAsync(Predict, new { instances = new[] { "Hello", "world" }, parameters = new { max_new_tokens = 6 } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var engine = (await server.Client.GetFromJsonAsync<JsonElement>("/status")).GetProperty("engine");
        Assert.Equal(4, engine.GetProperty("maxSequences").GetInt32());
        Assert.Equal(128, engine.GetProperty("maxBatchedTokens").GetInt32());
        Assert.Equal(1008, engine.GetProperty("cacheTokens").GetInt32()); // whole pages of 16
        var metrics = await server.Client.GetStringAsync("/metrics");
        foreach (var name in new[]
        {
            "inference_sequences_running", "inference_kv_cache_capacity", "inference_kv_cache_used", "inference_queue_depth",
            "inference_request_inter_token_latency_seconds_count", "inference_request_time_to_first_token_seconds_count",
        })
        {
            Assert.Contains(name, metrics, StringComparison.Ordinal);
        }
    }

    private static async Task<string> TextAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return string.Join("|", (await InferenceServer.JsonAsync(response)).GetProperty("predictions").EnumerateArray().Select(p => p.GetString()));
    }
}
