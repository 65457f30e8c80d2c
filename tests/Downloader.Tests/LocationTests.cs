using System.Text.Json;
using Amazon.S3.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Downloader.Tests;

/// <summary><c>inspect</c> and <c>verify</c> take every location form: a path, http:// and s3://.</summary>
public sealed class LocationTests : IClassFixture<MotoServerFixture>, IAsyncLifetime
{
    private readonly MotoServerFixture _moto;
    private readonly string _dir = Directory.CreateTempSubdirectory("downloader-locations-").FullName;
    private string Model => Path.Combine(_dir, "model.tensors");

    public LocationTests(MotoServerFixture moto) => _moto = moto;

    public async Task InitializeAsync() => Assert.Equal(0, (await CliTests.RunAsync("demo", "--output", _dir)).ExitCode);

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Inspect_and_verify_read_over_http()
    {
        await using var server = await StubServer.StartAsync(app =>
        {
            app.MapGet("/model.tensors", () => Results.File(Model, "application/octet-stream", enableRangeProcessing: true));
            app.MapGet("/private/model.tensors", (HttpContext context) =>
                context.Request.Headers.Authorization == "Bearer hf_secret" && context.Request.Headers["X-Mirror"] == "eu"
                    ? Results.File(Model, "application/octet-stream", enableRangeProcessing: true)
                    : Results.StatusCode(401));
        });
        var url = new Uri(server.Address, "/model.tensors").ToString();

        await AssertSameAsLocalAsync(url, new Dictionary<string, string>());

        var privateUrl = new Uri(server.Address, "/private/model.tensors").ToString();
        var refused = await CliTests.RunAsync("inspect", privateUrl);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("401", refused.Error, StringComparison.Ordinal);
        var withToken = await CliTests.RunAsync(new Dictionary<string, string> { ["HF_TOKEN"] = "hf_secret" }, "inspect", privateUrl, "-H", "X-Mirror: eu");
        Assert.True(withToken.ExitCode == 0, withToken.Error);
    }

    [Fact]
    public async Task Inspect_and_verify_read_from_s3_configured_by_kserve_variables()
    {
        using var client = _moto.CreateClient();
        var bucket = await MotoServerFixture.CreateBucketAsync(client);
        await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "gptj/model.tensors", FilePath = Model });
        var environment = new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL"] = _moto.Endpoint.ToString(),
            ["AWS_ACCESS_KEY_ID"] = "testing",
            ["AWS_SECRET_ACCESS_KEY"] = "testing",
            ["AWS_DEFAULT_REGION"] = "us-east-1",
        };

        await AssertSameAsLocalAsync($"s3://{bucket}/gptj/model.tensors", environment);

        var missing = await CliTests.RunAsync(environment, "inspect", $"s3://{bucket}/gptj/absent.tensors");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("absent.tensors", missing.Error, StringComparison.Ordinal);
    }

    private async Task AssertSameAsLocalAsync(string location, IReadOnlyDictionary<string, string> environment)
    {
        var local = await CliTests.RunAsync("inspect", Model, "--json");
        var remote = await CliTests.RunAsync(environment, "inspect", location, "--json");
        Assert.True(remote.ExitCode == 0, remote.Error);
        Assert.Equal(Tensors(local.Output), Tensors(remote.Output));

        var verify = await CliTests.RunAsync(environment, "verify", location);
        Assert.True(verify.ExitCode == 0, verify.Error + verify.Output);
        Assert.StartsWith("OK:", verify.Output, StringComparison.Ordinal);
    }

    private static string Tensors(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("tensors").GetRawText();
    }
}
