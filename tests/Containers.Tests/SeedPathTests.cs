using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace Containers.Tests;

/// <summary>
/// The seed's path in the images the manifests name, run by podman on this machine: the downloader container converts the
/// built-in tiny model into a host folder mounted as the claim (the converter Job's arguments), the inference container
/// serves that folder read-only and answers the seed's predict request, the console container answers its health probe;
/// each stops gracefully on SIGTERM, runs as the images' non-root user, and the images carry what they should and no more.
/// </summary>
[Trait("Category", "Containers")]
public sealed class SeedPathTests(ContainerHost host, ITestOutputHelper output) : IClassFixture<ContainerHost>
{
    private const string Prompt = "Once upon a time, there was";

    /// <summary>The converter Job's mount and the serving runtime's model folder, as the KServe manifests have them.</summary>
    private const string ClaimMount = "/mnt";
    private const string ModelMount = "/mnt/models";

    [SkippableFact]
    public async Task The_downloader_converts_onto_the_claim_and_the_inference_image_serves_it_read_only()
    {
        Skip.If(host.SkipReason is not null, host.SkipReason);
        output.WriteLine($"images built in {host.BuildTime.TotalSeconds:F0} s\n{host.BuildSummary}");

        // The claim: a host folder the images' user may write, as fsGroup makes a claim in the cluster.
        var claim = Path.Combine(host.Scratch, "claim");
        Directory.CreateDirectory(claim);
        File.SetUnixFileMode(claim, (UnixFileMode)0b111_111_111);

        // The converter Job: the image's entrypoint with the manifest's arguments.
        var clock = Stopwatch.StartNew();
        var downloader = await host.RunDetachedAsync(
            ["-v", $"{claim}:{ClaimMount}", host.Images["downloader"], "convert", "--source", "builtin://tiny-gptj", "--output", $"{ClaimMount}/gptj", "--dtype", "float16"]);
        var exit = (await host.PodmanAsync(["wait", downloader], TimeSpan.FromMinutes(3))).Check().Trim();
        var logs = await host.PodmanAsync(["logs", downloader]);
        Assert.True(exit == "0", $"the downloader exited with {exit}:\n{logs.Output}\n{logs.Error}");
        output.WriteLine($"downloader: converted in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(File.Exists(Path.Combine(claim, "gptj", "model.tensors")));
        Assert.True(File.Exists(Path.Combine(claim, "gptj", ".tensorizer-complete.json")));
        Assert.Equal(1654, OwnerOf(Path.Combine(claim, "gptj", "model.tensors")));

        // The serving runtime: the model folder mounted read-only where the manifests point MODEL_PATH.
        var port = ContainerHost.FreePort();
        clock.Restart();
        var inference = await host.RunDetachedAsync(
        [
            "-v", $"{Path.Combine(claim, "gptj")}:{ModelMount}:ro",
            "-e", "MODEL_NAME=gptj", "-e", $"MODEL_PATH={ModelMount}", "-e", "DEVICE=cpu", "-e", "DTYPE=float16",
            "-e", $"ASPNETCORE_URLS=http://127.0.0.1:{port}",
            host.Images["inference"],
        ]);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(1) };
        await WaitUntilAsync(client, "/v1/models/gptj", inference, TimeSpan.FromMinutes(2));
        output.WriteLine($"inference: ready in {clock.Elapsed.TotalSeconds:F1} s");

        var response = await client.PostAsync("/v1/models/gptj:predict", new StringContent($$"""{"instances": ["{{Prompt}}"]}""", Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var prediction = Assert.Single(JsonDocument.Parse(body).RootElement.GetProperty("predictions").EnumerateArray()).GetString()!;
        Assert.StartsWith(Prompt, prediction, StringComparison.Ordinal);
        Assert.True(prediction.Length > Prompt.Length);
        output.WriteLine($"inference: {body}");

        Assert.Equal("1654", (await host.PodmanAsync(["exec", inference, "id", "-u"])).Check().Trim());
        await StopGracefullyAsync(inference, "inference");
    }

    [SkippableFact]
    public async Task The_console_image_answers_its_health_probe_and_stops_on_SIGTERM()
    {
        Skip.If(host.SkipReason is not null, host.SkipReason);
        var store = Path.Combine(host.Scratch, "store");
        Directory.CreateDirectory(store);
        var port = ContainerHost.FreePort();
        var console = await host.RunDetachedAsync(
            ["-v", $"{store}:/mnt/models:ro", "-e", "Console__ModelStore=/mnt/models", "-e", $"ASPNETCORE_URLS=http://127.0.0.1:{port}", host.Images["console"]]);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        await WaitUntilAsync(client, "/health", console, TimeSpan.FromMinutes(1));
        Assert.Equal("1654", (await host.PodmanAsync(["exec", console, "id", "-u"])).Check().Trim());
        await StopGracefullyAsync(console, "console");
    }

    [SkippableTheory]
    [InlineData("inference", "/app/Inference", true, true)]
    [InlineData("downloader", "/app/downloader", false, true)]
    [InlineData("console", "/app/Console.Blazor", true, false)]
    public async Task Each_image_runs_its_program_as_the_non_root_user_with_its_labels_and_no_secrets(string name, string entrypoint, bool serves, bool torch)
    {
        Skip.If(host.SkipReason is not null, host.SkipReason);
        var image = host.Images[name];
        var inspected = JsonDocument.Parse((await host.PodmanAsync(["image", "inspect", image])).Check()).RootElement[0];
        var config = inspected.GetProperty("Config");
        output.WriteLine($"{image}: {inspected.GetProperty("Size").GetInt64() / 1_000_000} MB unpacked");

        Assert.Equal("1654", config.GetProperty("User").GetString());
        Assert.Equal("/app/", config.GetProperty("WorkingDir").GetString());
        Assert.Equal([entrypoint], config.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));
        Assert.False(config.TryGetProperty("Cmd", out var cmd) && cmd.ValueKind == JsonValueKind.Array && cmd.GetArrayLength() > 0, "no default arguments: the manifests' args are the program's");
        var labels = config.GetProperty("Labels");
        Assert.Equal(ProductVersion(), labels.GetProperty("org.opencontainers.image.version").GetString());
        Assert.Equal($"tensorizer-dotnet/{name}", labels.GetProperty("org.opencontainers.image.title").GetString());
        Assert.False(string.IsNullOrEmpty(labels.GetProperty("org.opencontainers.image.description").GetString()));
        Assert.Equal(torch ? "cpu" : null, labels.TryGetProperty("dev.tensorizer.torch-backend", out var backend) ? backend.GetString() : null);

        var environment = config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.DoesNotContain(environment, e => SecretName(e[..e.IndexOf('=', StringComparison.Ordinal)]));
        if (serves)
        {
            Assert.True(config.GetProperty("ExposedPorts").TryGetProperty("8080/tcp", out _));
            Assert.Contains("ASPNETCORE_HTTP_PORTS=8080", environment);
        }

        // The files: libtorch only where TorchSharp is used; no keys, tokens or credentials files anywhere in /app.
        var files = (await host.PodmanAsync(["run", "--rm", "--network", "none", "--entrypoint", "/usr/bin/find", image, "/app", "-type", "f"])).Check()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Path.GetFileName).ToList();
        Assert.Equal(torch, files.Contains("libtorch_cpu.so"));
        Assert.DoesNotContain(files, f => f!.StartsWith("libtorch", StringComparison.Ordinal) && !torch);
        Assert.DoesNotContain(files, f => f is ".env" or "config.json" or "credentials" or ".git-credentials" || f!.EndsWith(".key", StringComparison.Ordinal) || f.EndsWith(".pfx", StringComparison.Ordinal) || f.EndsWith(".pem", StringComparison.Ordinal));
        var settings = (await host.PodmanAsync(["run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", image, "-c", "cat /app/appsettings*.json 2>/dev/null; true"])).Check();
        Assert.DoesNotMatch(@"""\w*(Token|Secret|Password|Passphrase|Key)""\s*:\s*""[^""]", settings);
    }

    /// <summary>The product's version, which the images' version label carries.</summary>
    private static string ProductVersion() =>
        System.Text.RegularExpressions.Regex.Match(File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "Directory.Build.props")), "<Version>(.*)</Version>").Groups[1].Value;

    private static bool SecretName(string name) =>
        new[] { "TOKEN", "SECRET", "PASSWORD", "PASSPHRASE", "ACCESS_KEY", "CREDENTIAL" }.Any(word => name.Contains(word, StringComparison.OrdinalIgnoreCase));

    private static int OwnerOf(string path) =>
        int.Parse(Tool.RunAsync("stat", ["-c", "%u", path]).GetAwaiter().GetResult().Check().Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Polls until the path answers 200; fails with the container's log if it does not in time or the container exits.</summary>
    private async Task WaitUntilAsync(HttpClient client, string path, string container, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            try
            {
                if ((await client.GetAsync(new Uri(path, UriKind.Relative))).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            var state = (await host.PodmanAsync(["inspect", "--format", "{{.State.Running}}", container])).Check().Trim();
            if (state != "true")
            {
                break;
            }

            await Task.Delay(250);
        }

        var logs = await host.PodmanAsync(["logs", container]);
        Assert.Fail($"{path} did not answer 200 within {timeout}:\n{logs.Output}\n{logs.Error}");
    }

    /// <summary>SIGTERM (podman stop, 10 s before SIGKILL): the host shuts down, exit code 0, well within the grace period.</summary>
    private async Task StopGracefullyAsync(string container, string name)
    {
        var clock = Stopwatch.StartNew();
        (await host.PodmanAsync(["stop", "-t", "10", container])).Check();
        var stopped = clock.Elapsed;
        var state = (await host.PodmanAsync(["inspect", "--format", "{{.State.ExitCode}}", container])).Check().Trim();
        var logs = await host.PodmanAsync(["logs", container]);
        output.WriteLine($"{name}: stopped by SIGTERM in {stopped.TotalSeconds:F1} s, exit code {state}");
        Assert.True(state == "0", $"{name} exited with {state} after SIGTERM:\n{logs.Output}\n{logs.Error}");
        Assert.Contains("Application is shutting down", logs.Output + logs.Error, StringComparison.Ordinal);
        Assert.True(stopped < TimeSpan.FromSeconds(9), $"{name} took {stopped} to stop: SIGTERM was not handled");
    }
}
