using Models;
using Models.Generation;
using Tensorizer.Reading;

namespace Downloader.Tests;

/// <summary><c>convert</c>: a sharded float32 safetensors checkpoint becomes a float16 model folder that serves the same model.</summary>
public sealed class ConversionTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("downloader-convert-").FullName;

    private string Tiny => Path.Combine(_root, "tiny");

    private string Checkpoint => Path.Combine(_root, "checkpoint");

    public Task InitializeAsync() => TinyCheckpoint.WriteShardedSafetensorsAsync(Tiny, Checkpoint);

    public Task DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_sharded_checkpoint_converts_to_a_folder_that_generates_like_the_original()
    {
        var output = Path.Combine(_root, "out");
        var convert = await CliTests.RunAsync("convert", "--source", Checkpoint, "--output", output, "--dtype", "float16");
        Assert.True(convert.ExitCode == 0, convert.Error + convert.Output);
        Assert.Equal(
            [".tensorizer-complete.json", "config.json", "merges.txt", "model.tensors", "vocab.json"],
            Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        await using (var file = await TensorFile.OpenAsync(Path.Combine(output, ModelFolder.TensorsFile)))
        {
            Assert.All(file.Index, e => Assert.Equal("<f2", e.Dtype.Text));
            Assert.Empty(await file.VerifyAsync());
            var account = await FileAccounting.CheckAsync(file);
            Assert.True(account.IsWhole && account.HasTerminator, string.Join("; ", account.Unaccounted));
        }

        var greedy = new GenerationOptions { MaxNewTokens = 8, StopAtEndOfText = false };
        using var original = await ModelFolder.LoadAsync(Tiny);
        using var converted = await ModelFolder.LoadAsync(output);
        Assert.Equal(original.Generate(["Once upon a time"], greedy)[0].Tokens, converted.Generate(["Once upon a time"], greedy)[0].Tokens);

        var again = await CliTests.RunAsync("convert", "--source", Checkpoint, "--output", output, "--dtype", "float16");
        Assert.Contains("already complete", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_corrupt_shard_fails_clearly_and_leaves_nothing_that_looks_complete()
    {
        var shard = Path.Combine(Checkpoint, "model-00002-of-00002.safetensors");
        await using (var stream = new FileStream(shard, FileMode.Open))
        {
            stream.Write(BitConverter.GetBytes(long.MaxValue)); // a header length past the end
        }

        var output = Path.Combine(_root, "broken");
        var result = await CliTests.RunAsync("convert", "--source", Checkpoint, "--output", output);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("header length", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(output, ".tensorizer-complete.json")));
    }

    [Fact]
    public async Task A_shard_name_escaping_the_folder_is_refused()
    {
        await File.WriteAllTextAsync(Path.Combine(Checkpoint, "model.safetensors.index.json"),
            """{"weight_map": {"transformer.wte.weight": "../../etc/passwd"}}""");
        var result = await CliTests.RunAsync("convert", "--source", Checkpoint, "--output", Path.Combine(_root, "escape"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("outside the folder", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_full_disk_fails_clearly_and_the_previous_complete_output_survives()
    {
        // A real full volume: a 20 MiB tmpfs in a private mount namespace (unshare: no root needed). It holds one
        // converted model (~15 MiB) but not a second model.tensors beside it.
        var volume = Directory.CreateDirectory(Path.Combine(_root, "volume")).FullName;
        var convert = $"dotnet '{CliTests.Cli}' convert --source '{Checkpoint}' --output '{volume}/gptj'";
        var script = $"""
            set -e
            mount -t tmpfs -o size=20m tmpfs '{volume}'
            {convert} > /dev/null 2>&1
            sha256sum '{volume}/gptj/model.tensors'
            set +e
            {convert} --force > /dev/null 2> '{_root}/error.txt'
            echo "exit=$?"
            sha256sum '{volume}/gptj/model.tensors'
            ls -A '{volume}/gptj'
            """;
        var start = new System.Diagnostics.ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-rm", "bash", "-c", script })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var lines = (await process.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(process.ExitCode == 0, await stderr);

        Assert.Equal("exit=2", lines[1]);
        Assert.Contains("Not enough disk space", await File.ReadAllTextAsync(Path.Combine(_root, "error.txt")), StringComparison.Ordinal);
        Assert.Equal(lines[0], lines[2]); // the complete model is untouched
        Assert.Equal([".tensorizer-complete.json", "config.json", "merges.txt", "model.tensors", "vocab.json"], lines[3..].Order(StringComparer.Ordinal));
    }
}
