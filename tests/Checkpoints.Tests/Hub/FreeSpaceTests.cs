using Checkpoints.Conversion;
using Checkpoints.Outputs;
using Checkpoints.Sources;
using Tensorizer.Format;

namespace Checkpoints.Tests.Hub;

/// <summary>
/// The check before downloading counts the converted model.tensors as well as the downloads, added up when both go
/// to one volume, so a PVC too small for both fails before the download instead of after it.
/// </summary>
public sealed class FreeSpaceTests(HubFixture fixture) : IClassFixture<HubFixture>, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("checkpoints-space-test-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>The checkpoint's bytes: what a first run downloads, and about what float16 model.tensors takes without a torch_dtype saying float32.</summary>
    private long CheckpointBytes => Directory.GetFiles(fixture.Checkpoint).Sum(f => new FileInfo(f).Length);

    private ConversionRequest Request(string repository) => new()
    {
        Source = $"hf://{repository}",
        Output = Path.Combine(_root, "gptj"),
        Settings = new SourceSettings { HuggingFaceEndpoint = fixture.Hub.Endpoint, Attempts = 1 },
    };

    [Fact]
    public async Task Downloads_and_output_on_one_volume_must_fit_together_and_nothing_is_downloaded_when_they_do_not()
    {
        fixture.Hub.AddRepository("tiny/space-one-volume", "5pace1", fixture.Checkpoint);
        var request = Request("tiny/space-one-volume");
        var room = CheckpointBytes * 3 / 2; // the downloads fit, the downloads and model.tensors do not
        var error = await Assert.ThrowsAsync<IOException>(() =>
            ModelConverter.ConvertAsync(request, null, new FakeFreeSpace(_ => "pvc", room), CancellationToken.None));

        Assert.Contains("Not enough disk space", error.Message, StringComparison.Ordinal);
        Assert.Contains("files of hf://tiny/space-one-volume", error.Message, StringComparison.Ordinal);
        Assert.Contains("model.tensors", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(request.Output, "*.safetensors*", SearchOption.AllDirectories)); // failed before the weights came
        Assert.False(File.Exists(Path.Combine(request.Output, CompletionMarker.FileName)));
    }

    [Fact]
    public async Task Downloads_on_another_volume_count_only_against_that_volume()
    {
        fixture.Hub.AddRepository("tiny/space-two-volumes", "5pace2", fixture.Checkpoint);
        var request = Request("tiny/space-two-volumes") with { DownloadFolder = Path.Combine(_root, "scratch") };
        var room = CheckpointBytes * 3 / 2; // enough for either, not for both
        var twoVolumes = new FakeFreeSpace(folder => folder.StartsWith(Path.Combine(_root, "scratch"), StringComparison.Ordinal) ? "scratch" : "pvc", room);

        var result = await ModelConverter.ConvertAsync(request, null, twoVolumes, CancellationToken.None);
        Assert.False(result.Skipped);
        Assert.True(File.Exists(Path.Combine(request.Output, CompletionMarker.FileName)));
    }

    [Fact]
    public void The_estimate_scales_weights_by_the_dtypes_and_assumes_16_bit_sources_when_the_config_does_not_say()
    {
        CheckpointFile[] files = [new("config.json", 100), new("model.safetensors", 1_000_000)];
        Assert.Equal(100 + 505_000, OutputSizeEstimate.Bytes(files, TensorElementType.Float16, sourceWidth: 4)); // float32 → float16 halves
        Assert.Equal(100 + 1_010_000, OutputSizeEstimate.Bytes(files, TensorElementType.Float16, sourceWidth: null)); // unknown: at most a copy
        Assert.Equal(100 + 2_020_000, OutputSizeEstimate.Bytes(files, TensorElementType.Float32, sourceWidth: null)); // 16-bit → float32 doubles
        Assert.Equal(100 + 1_010_000, OutputSizeEstimate.Bytes(files, null, sourceWidth: 4)); // keep

        var config = Path.Combine(_root, "config.json");
        File.WriteAllText(config, """{"model_type": "gptj", "torch_dtype": "float32"}""");
        Assert.Equal(4, OutputSizeEstimate.SourceWidth(config));
        File.WriteAllText(config, """{"model_type": "gptj", "dtype": "bfloat16"}""");
        Assert.Equal(2, OutputSizeEstimate.SourceWidth(config));
        File.WriteAllText(config, """{"model_type": "gptj"}""");
        Assert.Null(OutputSizeEstimate.SourceWidth(config));
    }

    [Fact]
    public void Folders_on_one_mount_are_one_volume_and_the_probe_answers_for_folders_not_yet_created()
    {
        var probe = DriveFreeSpace.Instance;
        var missing = Path.Combine(_root, "not", "yet", "created");
        Assert.Equal(probe.VolumeOf(_root), probe.VolumeOf(missing));
        Assert.True(probe.AvailableBytes(missing) > 0);
        Assert.NotEqual(probe.VolumeOf(_root), probe.VolumeOf("/proc/self"));
    }
}
