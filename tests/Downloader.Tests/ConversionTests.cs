using System.Text.Json;
using Checkpoints.Formats;
using Models;
using Models.Generation;
using Models.TinyModel;
using Tensorizer.Reading;
using Tensorizer.Torch;
using static TorchSharp.torch;

namespace Downloader.Tests;

/// <summary><c>convert</c>: a sharded float32 safetensors checkpoint becomes a float16 model folder that serves the same model.</summary>
public sealed class ConversionTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("downloader-convert-").FullName;

    private string Tiny => Path.Combine(_root, "tiny");

    private string Checkpoint => Path.Combine(_root, "checkpoint");

    public async Task InitializeAsync()
    {
        // The tiny model (fp16 values), re-expressed as a Hugging Face checkpoint: fp32, two shards and an index.
        await TinyGptj.WriteAsync(Tiny);
        Directory.CreateDirectory(Checkpoint);
        await using var file = await TensorFile.OpenAsync(Path.Combine(Tiny, ModelFolder.TensorsFile));
        var tensors = await file.LoadTensorsAsync(new TorchLoadOptions { Dtype = ScalarType.Float32 });
        var names = tensors.Keys.ToList();
        var shards = new[] { names.Take(names.Count / 2).ToList(), names.Skip(names.Count / 2).ToList() };
        var weightMap = new Dictionary<string, string>();
        for (var s = 0; s < shards.Length; s++)
        {
            var shardName = $"model-0000{s + 1}-of-00002.safetensors";
            SafetensorsWriter.Write(Path.Combine(Checkpoint, shardName), shards[s].Select(n => (n, "F32", tensors[n].shape, tensors[n].bytes.ToArray())));
            shards[s].ForEach(n => weightMap[n] = shardName);
        }

        await File.WriteAllTextAsync(Path.Combine(Checkpoint, "model.safetensors.index.json"), JsonSerializer.Serialize(new { metadata = new { }, weight_map = weightMap }));
        foreach (var side in new[] { "config.json", "vocab.json", "merges.txt" })
        {
            File.Copy(Path.Combine(Tiny, side), Path.Combine(Checkpoint, side));
        }

        foreach (var tensor in tensors.Values)
        {
            tensor.Dispose();
        }
    }

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
}
