using System.Security.Cryptography;
using Checkpoints.Conversion;
using Checkpoints.Formats;

namespace Checkpoints.Sources;

/// <summary>
/// A source whose files are downloaded: in parallel, each to a <c>.incomplete</c> name that a later attempt or a
/// restarted job resumes from, verified against the size and hash the source publishes, then renamed. A file
/// already downloaded and verified (its final name exists with the right size) is not fetched again.
/// </summary>
public abstract class RemoteSource(SourceSettings settings) : ICheckpointSource
{
    private const string IncompleteSuffix = ".incomplete";

    public abstract string Location { get; }

    protected SourceSettings Settings { get; } = settings;

    public abstract Task<CheckpointListing> ListAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The file's bytes from <paramref name="offset"/> to <paramref name="last"/> (inclusive; null: to the end of the
    /// file); a source that ignored the range returns them from 0 and says so in <see cref="RemoteBody.Offset"/>.
    /// </summary>
    protected abstract Task<RemoteBody> OpenAsync(CheckpointFile file, long offset, long? last, CancellationToken cancellationToken);

    /// <summary>Whether a failed attempt is worth repeating (dropped connections, 5xx, throttling) or final (404, 401, bad hash).</summary>
    protected virtual bool IsTransient(Exception exception) => exception is IOException or TimeoutException;

    public async Task<string> FetchAsync(
        IReadOnlyList<CheckpointFile> files, string downloadFolder, IProgress<ConversionProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        Directory.CreateDirectory(downloadFolder);
        DiskSpace.Ensure(downloadFolder, BytesToFetch(files, downloadFolder), $"the {files.Count} files of {Location}");
        var tracker = new DownloadTracker(files, progress);
        await Parallel.ForEachAsync(
            files,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Settings.ParallelDownloads), CancellationToken = cancellationToken },
            async (file, ct) => await DownloadAsync(file, SafePaths.Resolve(downloadFolder, file.Path, Location), tracker, ct).ConfigureAwait(false)).ConfigureAwait(false);
        return Path.GetFullPath(downloadFolder);
    }

    /// <summary>What is left to download of <paramref name="files"/>: their sizes less what earlier runs left in the folder.</summary>
    public static long BytesToFetch(IReadOnlyList<CheckpointFile> files, string downloadFolder)
    {
        ArgumentNullException.ThrowIfNull(files);
        var onDisk = files.Sum(f => new[] { f.Path, f.Path + IncompleteSuffix }.Select(p => new FileInfo(Path.Combine(downloadFolder, p))).Where(i => i.Exists).Sum(i => i.Length));
        return Math.Max(0, files.Sum(f => Math.Max(0, f.Size)) - onDisk);
    }

    private async Task DownloadAsync(CheckpointFile file, string target, DownloadTracker tracker, CancellationToken cancellationToken)
    {
        if (File.Exists(target) && new FileInfo(target).Length == file.Size)
        {
            tracker.Completed(file);
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var partial = target + IncompleteSuffix;
        var chunked = new ChunkedDownload(file, partial, Settings);
        if (chunked.Applies)
        {
            try
            {
                await chunked.RunAsync(RetryingAsync, (offset, last, ct) => OpenAsync(file, offset, last, ct), Stalled(file), tracker, cancellationToken).ConfigureAwait(false);
            }
            catch (ChunkedDownload.RangesIgnoredException)
            {
                chunked.Discard(); // the server sends whole files only: one sequential download
                tracker.Resumed(file, 0);
                await RetryingAsync(ct => ResumeAsync(file, partial, tracker, ct), cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            await RetryingAsync(ct => ResumeAsync(file, partial, tracker, ct), cancellationToken).ConfigureAwait(false);
        }

        await VerifyAsync(file, partial, cancellationToken).ConfigureAwait(false);
        File.Move(partial, target, overwrite: true);
        chunked.Finish();
        tracker.Completed(file);
    }

    /// <summary>Runs <paramref name="attempt"/> until it succeeds, a failure is final, or the attempts run out (backing off between them).</summary>
    private async Task RetryingAsync(Func<CancellationToken, Task> attempt, CancellationToken cancellationToken)
    {
        for (var n = 1; ; n++)
        {
            try
            {
                await attempt(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (n < Settings.Attempts && IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(200 * (1 << n), 10_000)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Appends the rest of the file to <paramref name="partial"/>, starting where it ends.</summary>
    private async Task ResumeAsync(CheckpointFile file, string partial, DownloadTracker tracker, CancellationToken cancellationToken)
    {
        var offset = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (offset > file.Size && file.Size >= 0)
        {
            offset = 0; // longer than the file: not a prefix of it
        }

        tracker.Resumed(file, offset);
        if (offset == file.Size)
        {
            return;
        }

        using var body = await Deadline.WithinAsync(ct => OpenAsync(file, offset, null, ct), Settings.ReadTimeout, Stalled(file), cancellationToken).ConfigureAwait(false);
        if (body.Offset != offset)
        {
            tracker.Resumed(file, body.Offset); // the source ignored the range: start over
            offset = body.Offset;
        }

        var stream = new FileStream(partial, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            stream.SetLength(offset);
            stream.Position = offset;
            var buffer = new byte[1 << 20];
            int read;
            while ((read = await Deadline.WithinAsync(ct => body.Stream.ReadAsync(buffer, ct).AsTask(), Settings.ReadTimeout, Stalled(file), cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (file.Size >= 0 && stream.Position + read > file.Size)
                {
                    throw new InvalidDataException($"{Location}: '{file.Path}' is longer than the {file.Size} bytes the listing says.");
                }

                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                tracker.Advanced(file, read);
            }
        }

        if (file.Size >= 0 && new FileInfo(partial).Length != file.Size)
        {
            throw new IOException($"{Location}: the download of '{file.Path}' ended at {new FileInfo(partial).Length} of {file.Size} bytes.");
        }
    }

    private string Stalled(CheckpointFile file) => $"{Location}: no data while downloading '{file.Path}'";

    /// <summary>Checks the published hash (LFS sha256, or the git blob id of small files); a mismatch deletes the download.</summary>
    private async Task VerifyAsync(CheckpointFile file, string partial, CancellationToken cancellationToken)
    {
        if (file.Sha256 is null && file.GitBlobSha1 is null)
        {
            return;
        }

        using var hash = file.Sha256 is not null ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        if (file.Sha256 is null)
        {
            hash.AppendData(System.Text.Encoding.ASCII.GetBytes($"blob {new FileInfo(partial).Length}\0"));
        }

        var stream = new FileStream(partial, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[1 << 20];
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }

        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        var expected = (file.Sha256 ?? file.GitBlobSha1)!.ToLowerInvariant();
        if (actual != expected)
        {
            File.Delete(partial);
            throw new InvalidDataException(
                $"{Location}: '{file.Path}' does not match its published {(file.Sha256 is null ? "git blob id" : "sha256")} (expected {expected}, got {actual}); the download was deleted.");
        }
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}

/// <summary>
/// A response body and the offset it starts at; <paramref name="wholeFile"/> when the source ignored the range asked
/// for and sends the whole file from byte 0.
/// </summary>
public sealed class RemoteBody(Stream stream, long offset, bool wholeFile = false, IDisposable? owner = null) : IDisposable
{
    public Stream Stream { get; } = stream;

    public long Offset { get; } = offset;

    public bool WholeFile { get; } = wholeFile;

    public void Dispose()
    {
        Stream.Dispose();
        owner?.Dispose();
    }
}
