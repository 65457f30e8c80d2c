using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Inference.Tests;

/// <summary>KServe V2 on servers of their own: one whose model never becomes ready, one with a one-request queue.</summary>
public class V2ServerStateTests
{
    [SkippableFact]
    public async Task A_server_without_its_model_is_live_but_not_ready()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-model-{Guid.NewGuid():N}");
        var server = await InferenceServer.StartAsync(new() { ["MODEL_PATH"] = missing }, waitUntilReady: false);
        try
        {
            await AssertNotReadyAsync(server);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task A_full_queue_refuses_the_request()
    {
        // One batch of one at a time and one waiting: ten prompts submitted at once cannot all find room.
        var server = await InferenceServer.StartAsync(new() { ["QUEUE_CAPACITY"] = "1", ["MAX_BATCH_SIZE"] = "1" });
        try
        {
            var prompts = string.Join(", ", Enumerable.Repeat("\"Once upon a time\"", 10));
            var infer = await server.Client.PostAsync("/v2/models/gptj/infer", new StringContent(
                $$"""{"parameters": {"max_new_tokens": 20}, "inputs": [{"name": "a", "datatype": "BYTES", "shape": [10], "data": [{{prompts}}]}]}""",
                Encoding.UTF8, "application/json"));
            await KServeV2Tests.AssertErrorAsync(infer, 503, "The server is busy", "inference_error_response");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private static async Task AssertNotReadyAsync(InferenceServer server)
    {
        for (var deadline = DateTime.UtcNow.AddMinutes(1); DateTime.UtcNow < deadline; await Task.Delay(50))
        {
            if ((await server.Client.GetFromJsonAsync<JsonElement>("/status")).GetProperty("phase").GetString() == "failed")
            {
                break;
            }
        }

        var live = await server.Client.GetAsync("/v2/health/live");
        Assert.True((await InferenceServer.JsonAsync(live)).GetProperty("live").GetBoolean());
        await KServeV2Tests.AssertErrorAsync(await server.Client.GetAsync("/v2/health/ready"), 503, "Server is not ready.", "metadata_server_error_response");
        await KServeV2Tests.AssertErrorAsync(await server.Client.GetAsync("/v2/models/gptj/ready"), 503, "Model with name gptj is not ready.", "metadata_model_error_response");
        await KServeV2Tests.AssertErrorAsync(await server.Client.GetAsync("/v2/models/gptj"), 503, "Model with name gptj is not ready.", "metadata_model_error_response");
        var infer = await server.Client.PostAsync("/v2/models/gptj/infer", new StringContent(
            """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}]}""", Encoding.UTF8, "application/json"));
        await KServeV2Tests.AssertErrorAsync(infer, 503, "Model with name gptj is not ready.", "inference_error_response");
    }
}
