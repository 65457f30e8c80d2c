
namespace Downloader.Tests;

/// <summary>The converter as a Kubernetes Job runs it: configured by environment variables, logging line by line, exit codes.</summary>
public sealed class JobTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("downloader-job-").FullName;
    private HubServer _hub = null!;

    public async Task InitializeAsync()
    {
        await TinyCheckpoint.WriteShardedSafetensorsAsync(Path.Combine(_root, "original"), Path.Combine(_root, "checkpoint"));
        _hub = await HubServer.StartAsync();
        _hub.AddRepository("AI-ModelScope/gpt-j-tiny", "5e1f", Path.Combine(_root, "checkpoint"));
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_job_configured_by_environment_converts_from_ModelScope_and_logs_progress_lines()
    {
        var output = Path.Combine(_root, "pvc", "gptj");
        var environment = new Dictionary<string, string>
        {
            ["SOURCE"] = "modelscope://AI-ModelScope/gpt-j-tiny",
            ["OUTPUT"] = output,
            ["DTYPE"] = "float16",
            ["MODELSCOPE_ENDPOINT"] = _hub.Endpoint.ToString(),
        };
        var result = await CliTests.RunAsync(environment, "convert");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("wrote " + output, result.Output, StringComparison.Ordinal);
        var log = result.Error.Split('\n');
        Assert.Contains(log, l => l.StartsWith("downloading", StringComparison.Ordinal) && l.Contains("100%", StringComparison.Ordinal));
        Assert.Contains(log, l => l.StartsWith("converting", StringComparison.Ordinal) && l.Contains("25/25", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(output, ".tensorizer-complete.json")));

        var missing = await CliTests.RunAsync(environment, "convert", "--source", "modelscope://AI-ModelScope/no-such-model");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("404", missing.Error, StringComparison.Ordinal);
    }
}
