using Checkpoints.Conversion;
using Checkpoints.Outputs;

namespace Checkpoints.Tests;

/// <summary>
/// What a conversion leaves on the volume: a run that finds the output complete removes the downloaded checkpoint and
/// partial folders an interrupted run left; a failed run removes its own partial folder but keeps the downloads it
/// will resume from.
/// </summary>
public sealed class LeftoverCleanupTests : IDisposable
{
    private static readonly string[] ModelFiles = [CompletionMarker.FileName, "config.json", "merges.txt", "model.tensors", "vocab.json"];

    private readonly string _root = Directory.CreateTempSubdirectory("checkpoints-leftovers-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_run_that_finds_the_output_complete_removes_what_a_run_killed_after_its_marker_left()
    {
        var output = Path.Combine(_root, "gptj");
        var request = new ConversionRequest { Source = "builtin://tiny-gptj", Output = output, Dtype = "float32" };
        // As a run killed right after writing its marker leaves the volume: the downloads and its (empty) partial folder.
        await ModelConverter.ConvertAsync(request with { KeepDownloads = true });
        Assert.True(Directory.Exists(Path.Combine(output, ".download", "tiny-gptj-1")));
        Directory.CreateDirectory(Path.Combine(output, ".partial-0123456789abcdef"));
        await File.WriteAllTextAsync(Path.Combine(output, CompletionMarker.FileName + ".tmp"), "{");
        var model = await File.ReadAllBytesAsync(Path.Combine(output, "model.tensors"));

        var kept = await ModelConverter.ConvertAsync(request with { KeepDownloads = true });
        Assert.True(kept.Skipped);
        Assert.True(Directory.Exists(Path.Combine(output, ".download", "tiny-gptj-1"))); // --keep-downloads is honoured
        Assert.Empty(Directory.GetDirectories(output, ".partial-*"));

        Directory.CreateDirectory(Path.Combine(output, ".partial-fedcba9876543210"));
        var again = await ModelConverter.ConvertAsync(request);
        Assert.True(again.Skipped);
        Assert.Equal(ModelFiles, Directory.GetFileSystemEntries(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(model, await File.ReadAllBytesAsync(Path.Combine(output, "model.tensors")));
    }

    [Fact]
    public async Task A_run_for_another_revision_keeps_that_revisions_downloads_when_it_finds_this_one_complete()
    {
        var output = Path.Combine(_root, "gptj");
        var request = new ConversionRequest { Source = "builtin://tiny-gptj", Output = output, Dtype = "float32" };
        await ModelConverter.ConvertAsync(request);
        var other = Directory.CreateDirectory(Path.Combine(output, ".download", "another-revision")).FullName; // an unfinished run, resumable
        await File.WriteAllBytesAsync(Path.Combine(other, "model.safetensors.incomplete"), new byte[100]);

        Assert.True((await ModelConverter.ConvertAsync(request)).Skipped);
        Assert.True(File.Exists(Path.Combine(other, "model.safetensors.incomplete")));
    }

    [Fact]
    public async Task A_run_that_runs_out_of_space_removes_its_partial_folder_and_keeps_its_downloads_to_resume()
    {
        var output = Path.Combine(_root, "gptj");
        var request = new ConversionRequest { Source = "builtin://tiny-gptj", Output = output, Dtype = "float32" };
        var full = new FakeFreeSpace(_ => "pvc", 1 << 20); // 1 MiB free: the downloads fit, model.tensors (~26 MiB) does not

        var error = await Assert.ThrowsAsync<IOException>(() => ModelConverter.ConvertAsync(request, null, full, CancellationToken.None));
        Assert.Contains("Not enough disk space", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(output, ".partial-*"));
        Assert.False(File.Exists(Path.Combine(output, CompletionMarker.FileName)));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(output, ".download"), "*", SearchOption.AllDirectories)); // not complete: kept

        Assert.False((await ModelConverter.ConvertAsync(request)).Skipped);
        Assert.Equal(ModelFiles, Directory.GetFileSystemEntries(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
