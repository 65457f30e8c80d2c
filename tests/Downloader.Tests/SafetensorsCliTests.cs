using System.Text.Json;

namespace Downloader.Tests;

/// <summary>
/// <c>inspect</c> and <c>verify</c> of a checkpoint the service serves directly: a sharded safetensors checkpoint
/// (two shards and an index). Verify reads every byte and says plainly that safetensors has no hashes to check; a
/// truncated shard or an index naming a shard that is not there is bad input (exit 2), named.
/// </summary>
public sealed class SafetensorsCliTests
{
    [Fact]
    public async Task Inspect_lists_every_shards_tensors_and_verify_reads_every_byte()
    {
        using var dir = new TempDirectory();
        var checkpoint = Path.Combine(dir.Path, "checkpoint");
        await TinyCheckpoint.WriteShardedSafetensorsAsync(Path.Combine(dir.Path, "original"), checkpoint);
        var index = Path.Combine(checkpoint, "model.safetensors.index.json");

        var inspect = await CliTests.RunAsync("inspect", index, "--json");
        Assert.True(inspect.ExitCode == 0, inspect.Error);
        using var json = JsonDocument.Parse(inspect.Output);
        Assert.Equal("safetensors", json.RootElement.GetProperty("format").GetString());
        Assert.Equal(2, json.RootElement.GetProperty("shards").GetArrayLength());
        Assert.Equal(25, json.RootElement.GetProperty("tensorCount").GetInt32());
        var wte = json.RootElement.GetProperty("tensors").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "transformer.wte.weight");
        Assert.Equal("<f4", wte.GetProperty("dtype").GetString());
        Assert.Equal([50400, 64], wte.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.Equal("model-00001-of-00002.safetensors", wte.GetProperty("shard").GetString());

        var table = await CliTests.RunAsync("inspect", index);
        Assert.Contains("safetensors, 2 shard(s), 25 tensors", table.Output, StringComparison.Ordinal);

        var verify = await CliTests.RunAsync("verify", index);
        Assert.True(verify.ExitCode == 0, verify.Error);
        Assert.Contains("OK: 25 tensors in 2 shard(s)", verify.Output, StringComparison.Ordinal);
        Assert.Contains("safetensors stores no hashes", verify.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_shard_is_bad_input_named_by_inspect_and_verify()
    {
        using var dir = new TempDirectory();
        var checkpoint = Path.Combine(dir.Path, "checkpoint");
        await TinyCheckpoint.WriteShardedSafetensorsAsync(Path.Combine(dir.Path, "original"), checkpoint);
        var shard = Path.Combine(checkpoint, "model-00002-of-00002.safetensors");
        await using (var stream = new FileStream(shard, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(stream.Length - 100);
        }

        foreach (var command in new[] { "inspect", "verify" })
        {
            var result = await CliTests.RunAsync(command, Path.Combine(checkpoint, "model.safetensors.index.json"));
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("model-00002-of-00002.safetensors", result.Error, StringComparison.Ordinal);
        }
    }
}
