using System.Net;
using System.Net.Http.Json;

namespace Inference.Tests;

/// <summary>Lifecycle and concurrency: readiness, load failure, batching under concurrent load, the bounded queue.</summary>
public class ServingTests
{
    private const string Predict = "/v1/models/gptj:predict";

    [Fact]
    public async Task A_failed_load_is_reported_on_health_and_status_not_served()
    {
        await using var server = await InferenceServer.StartAsync(new() { ["MODEL_PATH"] = "/nonexistent/model" }, waitUntilReady: false);
        var status = await server.WaitForPhaseAsync("failed", "ready");

        Assert.Equal("failed", status.GetProperty("phase").GetString());
        Assert.Contains("config.json", status.GetProperty("error").GetString()!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/")).StatusCode); // alive, not ready
        var model = await server.Client.GetAsync("/v1/models/gptj");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, model.StatusCode);
        Assert.Equal("Model with name gptj is not ready.", (await InferenceServer.JsonAsync(model)).GetProperty("error").GetString());
        var predict = await server.Client.PostAsJsonAsync(Predict, new { instances = new[] { "a" } });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, predict.StatusCode);
    }

    [Fact]
    public async Task Concurrent_requests_are_batched_and_all_answered()
    {
        await using var server = await InferenceServer.StartAsync(new() { ["MAX_BATCH_SIZE"] = "8" });
        var requests = Enumerable.Range(0, 16).Select(i =>
            server.Client.PostAsJsonAsync(Predict, new { instances = new[] { $"Prompt number {i}" }, parameters = new { max_new_tokens = 8, seed = i } }));
        var responses = await Task.WhenAll(requests);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var metrics = await server.Client.GetStringAsync("/metrics");
        var batches = metrics.Split('\n').First(l => l.StartsWith("inference_batch_size_count", StringComparison.Ordinal));
        var sum = metrics.Split('\n').First(l => l.StartsWith("inference_batch_size_sum", StringComparison.Ordinal));
        var (count, total) = (double.Parse(batches.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture), double.Parse(sum.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(total / count > 1.5, $"{total} sequences in {count} batches: requests were not batched");
    }

    [Fact]
    public async Task Past_the_queue_capacity_requests_get_503_instead_of_waiting()
    {
        await using var server = await InferenceServer.StartAsync(new() { ["MAX_BATCH_SIZE"] = "1", ["QUEUE_CAPACITY"] = "1" });
        var requests = Enumerable.Range(0, 12).Select(_ =>
            server.Client.PostAsJsonAsync(Predict, new { instances = new[] { "Hello" }, parameters = new { max_new_tokens = 20 } }));
        var responses = await Task.WhenAll(requests);

        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(refused);
        Assert.Contains("busy", (await InferenceServer.JsonAsync(refused[0])).GetProperty("error").GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_request_withdraws_its_queued_instances()
    {
        await using var server = await InferenceServer.StartAsync(new() { ["MAX_BATCH_SIZE"] = "1", ["QUEUE_CAPACITY"] = "2" });
        var refused = await server.Client.PostAsJsonAsync(Predict, new { instances = Enumerable.Repeat("Hello", 10), parameters = new { max_new_tokens = 200 } });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);

        // Its instances left the queue with it: the queue has room for two more at once.
        var next = await server.Client.PostAsJsonAsync(Predict, new { instances = new[] { "Hello", "world" }, parameters = new { max_new_tokens = 2 } });
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);

        // At most the one instance the model had already taken generated anything, and it was cancelled.
        var metrics = await server.Client.GetStringAsync("/metrics");
        var generated = metrics.Split('\n').First(l => l.StartsWith("inference_tokens_generated_total", StringComparison.Ordinal));
        Assert.InRange(double.Parse(generated.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture), 4, 200 + 4);
    }
}
