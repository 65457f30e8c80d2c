using System.Security.Cryptography;
using System.Text;
using Checkpoints.Formats;
using Checkpoints.Outputs;
using Checkpoints.Sources;
using Tensorizer.Sources.S3;
using Tensorizer.Writing;

namespace Checkpoints.Conversion;

/// <summary>
/// The seed's download job, for any supported checkpoint: resolve the source's files at a revision, fetch the ones a
/// model needs (resuming partial downloads), convert tensor by tensor to <c>model.tensors</c> (memory bounded by the
/// largest tensor), publish config and tokenizer files beside it, and write the completion marker last. A finished
/// output for the same source revision, dtype and encryption is skipped unless forced. Every run, skipped or not, removes what an
/// interrupted one left behind once the output is complete: partial folders and the downloaded checkpoint.
/// </summary>
public static class ModelConverter
{
    public static Task<ConversionResult> ConvertAsync(
        ConversionRequest request, IProgress<ConversionProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ConvertAsync(request, progress, DriveFreeSpace.Instance, cancellationToken);

    /// <summary>The same, with the volumes' free space from <paramref name="freeSpace"/> (tests stand in a full volume).</summary>
    internal static async Task<ConversionResult> ConvertAsync(
        ConversionRequest request, IProgress<ConversionProgress>? progress, IFreeSpaceProbe freeSpace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return await RunAsync(request, progress, freeSpace, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (e.HResult is NoSpace or FileTooLarge or QuotaExceeded)
        {
            throw new IOException($"Out of disk space converting {request.Source} to {request.Output} ({e.Message}); nothing was marked complete.", e);
        }
    }

    // errno values .NET reports as the HResult of an IOException on Linux.
    private const int FileTooLarge = 27;
    private const int NoSpace = 28;
    private const int QuotaExceeded = 122;

    private static async Task<ConversionResult> RunAsync(
        ConversionRequest request, IProgress<ConversionProgress>? progress, IFreeSpaceProbe freeSpace, CancellationToken cancellationToken)
    {
        var dtype = TensorCasting.ParseDtype(request.Dtype);
        using var source = CheckpointSources.Open(request.Source, request.Settings);
        var outputFolder = S3Location.IsS3Uri(request.Output) ? null : Path.GetFullPath(request.Output);
        using var output = OpenOutput(request.Output, request.Settings, request.CreateBucket, freeSpace);

        progress?.Report(new ConversionProgress(ConversionPhase.Resolving, 0, 0, 0, 0, source.Location));
        var listing = await source.ListAsync(cancellationToken).ConfigureAwait(false);
        var marker = new CompletionMarker(source.Location, listing.Revision, request.Dtype, 0, 0, EncryptionLabel.Of(request.Encryption));
        // One folder per revision: a file of the same name and size from another revision is never taken for this one's.
        var downloadRoot = request.DownloadFolder ?? DefaultDownloadFolder(request.Output, source);
        var downloads = Path.GetFullPath(Path.Combine(downloadRoot, string.Concat(listing.Revision.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_'))));
        var defaultRoot = request.DownloadFolder is null ? downloadRoot : null;
        if (!request.Force && await output.ReadMarkerAsync(cancellationToken).ConfigureAwait(false) is { } existing && existing.SameConversion(marker))
        {
            // A run killed after its marker (or an earlier one's failure) left these; the output no longer needs them.
            await output.RemoveLeftoversAsync(cancellationToken).ConfigureAwait(false);
            if (!request.KeepDownloads && source is RemoteSource or BuiltinSource)
            {
                DownloadCleanup.Remove(downloads, defaultRoot);
            }

            progress?.Report(new ConversionProgress(ConversionPhase.Completed, existing.Bytes, existing.Bytes, existing.Tensors, existing.Tensors));
            return new ConversionResult(output.Location, listing.Revision, existing.Tensors, existing.Bytes, Skipped: true);
        }

        foreach (var file in listing.Files)
        {
            SafePaths.Check(file.Path, source.Location); // a hostile listing is refused before anything is fetched
        }

        var files = FileSelection.Select(listing.Files, request.Include, request.Exclude);
        if (files.Count == 0)
        {
            throw new InvalidDataException($"{source.Location} has no checkpoint files to fetch (files: {string.Join(", ", listing.Files.Take(10).Select(f => f.Path))}).");
        }

        if (source is RemoteSource remote)
        {
            await ConversionSpace.EnsureAsync(remote, files, downloads, outputFolder, dtype, freeSpace, cancellationToken).ConfigureAwait(false);
        }

        var local = await source.FetchAsync(files, downloads, progress, cancellationToken).ConfigureAwait(false);
        var tensors = await CheckpointFolder.ReadTensorsAsync(local, cancellationToken).ConfigureAwait(false);

        await output.BeginAsync(cancellationToken).ConfigureAwait(false);
        var total = tensors.Sum(t => TensorCasting.TargetLength(t, dtype));
        long done = 0;
        var written = 0;
        var casting = new TensorCasting(tensors, dtype);
        var toWrite = tensors.Select(t => TensorToWrite.Deferred(t.Name, TensorCasting.TargetType(t, dtype), t.Shape, () =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            var bytes = casting.ReadAndConvert(t); // the writer is done with the previous tensor's bytes when it asks for these
            progress?.Report(new ConversionProgress(ConversionPhase.Converting, done += bytes.Length, total, ++written, tensors.Count, t.Name));
            return [bytes];
        })).ToList();
        await output.WriteTensorsAsync(toWrite, request.Encryption, cancellationToken).ConfigureAwait(false);

        var sideFiles = ModelFiles.SideFiles.Where(name => File.Exists(Path.Combine(local, name))).ToList();
        if (files.FirstOrDefault(f => ModelFiles.SideFiles.Contains(f.Path) && !sideFiles.Contains(f.Path)) is { } lost)
        {
            // A listed config or tokenizer file that vanished (another process cleaned the folder) must not be published without.
            throw new InvalidDataException($"{lost.Path} of {source.Location} is missing from {local}; the model was not published.");
        }

        for (var i = 0; i < sideFiles.Count; i++)
        {
            progress?.Report(new ConversionProgress(ConversionPhase.Publishing, 0, 0, i, sideFiles.Count, sideFiles[i]));
            await output.AddFileAsync(Path.Combine(local, sideFiles[i]), sideFiles[i], cancellationToken).ConfigureAwait(false);
        }

        var complete = marker with { Tensors = tensors.Count, Bytes = total };
        await output.CommitAsync(complete, cancellationToken).ConfigureAwait(false);
        if (!request.KeepDownloads && local == downloads)
        {
            DownloadCleanup.Remove(downloads, defaultRoot);
        }

        progress?.Report(new ConversionProgress(ConversionPhase.Completed, total, total, tensors.Count, tensors.Count));
        return new ConversionResult(output.Location, listing.Revision, tensors.Count, total, Skipped: false);
    }

    private static IModelOutput OpenOutput(string output, SourceSettings settings, bool createBucket, IFreeSpaceProbe freeSpace) => S3Location.IsS3Uri(output)
        ? new S3Output(S3ClientFactory.Create(settings.S3 ?? S3Settings.FromEnvironment()), S3Location.ParsePrefix(output), createBucket)
        : new FolderOutput(output, freeSpace);

    /// <summary>
    /// Beside a folder output (on the PVC, so a restarted job resumes its downloads), else a temp folder named after
    /// the source (so a restart resumes there too). The built-in model has nothing to resume and is written whole, so
    /// each run gets its own folder: two conversions of it at once must not clean up each other's files.
    /// </summary>
    private static string DefaultDownloadFolder(string output, ICheckpointSource source) => S3Location.IsS3Uri(output)
        ? Path.Combine(Path.GetTempPath(), "tensorizer-downloads", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source.Location)))[..16]
            + (source is BuiltinSource ? $"-{Guid.NewGuid():N}" : ""))
        : Path.Combine(Path.GetFullPath(output), ".download");
}
