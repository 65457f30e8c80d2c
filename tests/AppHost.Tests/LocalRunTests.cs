using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AppHost.Publishing;
using Aspire.Hosting.Testing;

namespace AppHost.Tests;

/// <summary>
/// The whole AppHost, as <c>dotnet run --project AppHost</c> starts it (without the dashboard): the downloader converts the
/// embedded tiny GPT-J into a fresh model store, the service waits for it, loads it, and answers the seed's request;
/// the console starts beside it.
/// </summary>
public sealed class LocalRunTests : IDisposable
{
    private const string ExamplePrompt = "Once upon a time, there was";
    private readonly string _store = Path.Combine(Path.GetTempPath(), $"apphost-models-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_store))
        {
            Directory.Delete(_store, recursive: true);
        }
    }

    [Fact]
    public async Task TheLocalRunAnswersTheSeedsRequest()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ct = timeout.Token;
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>([$"--ModelStore={_store}", "--InferencePort=0"], ct);
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct);

        // Healthy means the model-ready endpoint answered 200: the conversion finished, and the load after it.
        await app.ResourceNotifications.WaitForResourceHealthyAsync("inference", ct);
        Assert.True(File.Exists(Path.Combine(_store, "gptj", ".tensorizer-complete.json")), "the downloader writes its completion marker last");

        using var client = app.CreateHttpClient("inference");
        using var response = await client.PostAsJsonAsync("/v1/models/gptj:predict", new { instances = new[] { ExamplePrompt } }, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        var prediction = Assert.Single(json.RootElement.GetProperty("predictions").EnumerateArray()).GetString()!;
        Assert.StartsWith(ExamplePrompt, prediction, StringComparison.Ordinal);
        Assert.True(prediction.Length > ExamplePrompt.Length, "the model continued the prompt");

        // The readiness paths the published manifests probe answer 200 once the model is loaded, in both protocols.
        foreach (var protocol in new[] { "v1", "v2" })
        {
            using var ready = await client.GetAsync(InferenceServer.ReadyPath(new DeploymentOptions { Protocol = protocol }), ct);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        // The console comes up beside them and serves its pages.
        await app.ResourceNotifications.WaitForResourceHealthyAsync("console", ct);
        using var console = app.CreateHttpClient("console");
        using var page = await console.GetAsync("/loads", ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task WithAnS3StoreTheServiceStreamsTheModelFromS3()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ct = timeout.Token;
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--S3Store=true", "--InferencePort=0"], ct);
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct);

        await app.ResourceNotifications.WaitForResourceHealthyAsync("inference", ct);
        using var client = app.CreateHttpClient("inference");
        using var status = JsonDocument.Parse(await client.GetStringAsync("/status", ct));
        Assert.Equal("s3://models/gptj/model.tensors", status.RootElement.GetProperty("location").GetString());

        using var response = await client.PostAsJsonAsync("/v1/models/gptj:predict", new { instances = new[] { ExamplePrompt } }, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task WithACheckpointTheServiceLoadsItsSafetensorsDirectlyWithNoDownloader()
    {
        using var checkpoint = new TempDirectory("apphost-checkpoint-");
        await TinyCheckpoint.WriteShardedSafetensorsAsync(checkpoint.File("original"), checkpoint.File("hf"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ct = timeout.Token;
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            [$"--Checkpoint={checkpoint.File("hf")}", $"--ModelStore={_store}", "--InferencePort=0"], ct);
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct);

        await app.ResourceNotifications.WaitForResourceHealthyAsync("inference", ct);
        using var client = app.CreateHttpClient("inference");
        using var status = JsonDocument.Parse(await client.GetStringAsync("/status", ct));
        Assert.Equal(checkpoint.File("hf", "model.safetensors.index.json"), status.RootElement.GetProperty("location").GetString());
        Assert.False(Directory.Exists(Path.Combine(_store, "gptj")), "no conversion ran");

        using var response = await client.PostAsJsonAsync("/v1/models/gptj:predict", new { instances = new[] { ExamplePrompt } }, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
