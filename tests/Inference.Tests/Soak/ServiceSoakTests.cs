using System.Net;
using System.Net.Http.Json;
using Checkpoints.Conversion;

namespace Inference.Tests.Soak;

/// <summary>
/// The operator's repro of the libtorch crash, bounded for the suite: many short generations through the service,
/// one client then eight at once, while garbage collections run finalizers back to back. Any 5xx, or the process
/// dying, fails it. Runs against a converted folder (as MODEL_PATH is used) and the embedded default.
/// </summary>
public class ServiceSoakTests
{
    [Fact]
    public async Task A_converted_model_folder_survives_sequential_and_concurrent_traffic()
    {
        var folder = Directory.CreateTempSubdirectory("soak-model-").FullName;
        try
        {
            await ModelConverter.ConvertAsync(new ConversionRequest { Source = "builtin://tiny-gptj", Output = folder });
            await using var server = await InferenceServer.StartAsync(new() { ["MODEL_PATH"] = folder });
            await SoakAsync(server);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task The_embedded_model_survives_sequential_and_concurrent_traffic()
    {
        await using var server = await InferenceServer.StartAsync([]);
        await SoakAsync(server);
    }

    private static async Task SoakAsync(InferenceServer server)
    {
        using var pressure = new GarbageCollectionPressure();
        await RunAsync(server.Client, clients: 1, requestsEach: 100);
        await RunAsync(server.Client, clients: 8, requestsEach: 25);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v2/health/ready")).StatusCode);
    }

    /// <summary>Short greedy generations from <paramref name="clients"/> at once, alternating OpenAI and KServe V1; each must succeed.</summary>
    private static async Task RunAsync(HttpClient client, int clients, int requestsEach)
    {
        var loops = Enumerable.Range(0, clients).Select(async c =>
        {
            for (var i = 0; i < requestsEach; i++)
            {
                using var response = (i + c) % 2 == 0
                    ? await client.PostAsJsonAsync("/openai/v1/completions", new { model = "gptj", prompt = "The quick brown fox", max_tokens = 8, temperature = 0 })
                    : await client.PostAsJsonAsync("/v1/models/gptj:predict", new { instances = new[] { $"Once upon a time {i}" }, parameters = new { max_new_tokens = 8, seed = i } });
                Assert.True(response.IsSuccessStatusCode, $"request {i} of client {c}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        });
        await Task.WhenAll(loops);
    }
}
