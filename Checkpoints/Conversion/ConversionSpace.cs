using Checkpoints.Sources;
using Tensorizer.Format;

namespace Checkpoints.Conversion;

/// <summary>
/// The free-space check before downloading: what is left to download and the converted <c>model.tensors</c> must
/// both fit, added up when they share a volume (the default <c>OUTPUT/.download</c> on the PVC), so a full volume
/// fails before hours of downloading rather than after.
/// </summary>
internal static class ConversionSpace
{
    public static async Task EnsureAsync(
        RemoteSource source, IReadOnlyList<CheckpointFile> files, string downloads, string? outputFolder, TensorElementType? dtype,
        IFreeSpaceProbe probe, CancellationToken cancellationToken)
    {
        // config.json first (a few KiB): its torch_dtype tells float32 weights from 16-bit ones, which halves the estimate.
        int? sourceWidth = null;
        if (outputFolder is not null && files.FirstOrDefault(f => f.Path == "config.json") is { } config)
        {
            await source.FetchAsync([config], downloads, progress: null, cancellationToken).ConfigureAwait(false);
            sourceWidth = OutputSizeEstimate.SourceWidth(Path.Combine(downloads, config.Path));
        }

        List<SpaceNeed> needs = [new(downloads, RemoteSource.BytesToFetch(files, downloads), $"the {files.Count} files of {source.Location}")];
        if (outputFolder is not null)
        {
            needs.Add(new(outputFolder, OutputSizeEstimate.Bytes(files, dtype, sourceWidth), "the converted model.tensors (estimated)"));
        }

        DiskSpace.EnsureRoom(needs, probe);
    }
}
