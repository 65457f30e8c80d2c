using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Checkpoints.Sources;

/// <summary>
/// One large file fetched as fixed-size chunks over several ranged requests at once, written in place into a file of
/// the final size. A journal beside it (<c>NAME.incomplete.chunks</c>, one finished chunk per line, flushed as each
/// finishes) lets a restarted job fetch only the chunks it lacks.
/// </summary>
internal sealed class ChunkedDownload(CheckpointFile file, string partial, SourceSettings settings)
{
    private const string JournalSuffix = ".chunks";

    private string Journal => partial + JournalSuffix;

    private long ChunkCount => (file.Size + settings.ChunkSize - 1) / settings.ChunkSize;

    /// <summary>Worth it for files of two chunks or more, unless a sequential download of this file is already under way.</summary>
    public bool Applies => settings.ConnectionsPerFile > 1 && file.Size >= 2 * settings.ChunkSize
        && (File.Exists(Journal) || !File.Exists(partial));

    /// <summary>The source answered a ranged request with the whole file: it cannot be fetched in chunks.</summary>
    public sealed class RangesIgnoredException() : Exception("The source ignores ranged requests.");

    public async Task RunAsync(
        Func<Func<CancellationToken, Task>, CancellationToken, Task> retrying,
        Func<long, long, CancellationToken, Task<RemoteBody>> open,
        string stalled,
        DownloadTracker tracker,
        CancellationToken cancellationToken)
    {
        if (!File.Exists(partial))
        {
            File.Delete(Journal); // a journal without its file vouches for nothing
        }

        // A chunk is journaled once written; a crash between the two only costs its refetch, and the final hash
        // check catches anything else.
        var done = ReadJournal();
        using (var handle = File.OpenHandle(partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, FileOptions.Asynchronous))
        {
            RandomAccess.SetLength(handle, file.Size);
            tracker.Resumed(file, done.Sum(Length));
            var journal = new StreamWriter(Journal, append: true);
            await using (journal.ConfigureAwait(false))
            {
                var gate = new SemaphoreSlim(1);
                await Parallel.ForEachAsync(
                    Enumerable.Range(0, (int)ChunkCount).Where(i => !done.Contains(i)),
                    new ParallelOptions { MaxDegreeOfParallelism = settings.ConnectionsPerFile, CancellationToken = cancellationToken },
                    async (chunk, ct) =>
                    {
                        await retrying(token => FetchAsync(handle, chunk, open, stalled, tracker, token), ct).ConfigureAwait(false);
                        await gate.WaitAsync(ct).ConfigureAwait(false);
                        try
                        {
                            await journal.WriteLineAsync(chunk.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
                            await journal.FlushAsync(ct).ConfigureAwait(false);
                        }
                        finally
                        {
                            gate.Release();
                        }
                    }).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The download is complete: the journal has served.</summary>
    public void Finish() => File.Delete(Journal);

    /// <summary>Starts over without chunks: the journal and the partly filled file go.</summary>
    public void Discard()
    {
        File.Delete(Journal);
        File.Delete(partial);
    }

    private async Task FetchAsync(
        SafeFileHandle handle, int chunk, Func<long, long, CancellationToken, Task<RemoteBody>> open, string stalled, DownloadTracker tracker, CancellationToken cancellationToken)
    {
        var start = chunk * settings.ChunkSize;
        var length = Length(chunk);
        long written = 0;
        try
        {
            using var body = await Deadline.WithinAsync(ct => open(start, start + length - 1, ct), settings.ReadTimeout, stalled, cancellationToken).ConfigureAwait(false);
            if (body.WholeFile)
            {
                throw new RangesIgnoredException();
            }

            var buffer = new byte[Math.Min(length, 1 << 20)];
            while (written < length)
            {
                var want = (int)Math.Min(buffer.Length, length - written);
                var read = await Deadline.WithinAsync(ct => body.Stream.ReadAsync(buffer.AsMemory(0, want), ct).AsTask(), settings.ReadTimeout, stalled, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new IOException($"{stalled}: chunk {chunk} ended at {written} of {length} bytes.");
                }

                await RandomAccess.WriteAsync(handle, buffer.AsMemory(0, read), start + written, cancellationToken).ConfigureAwait(false);
                written += read;
                tracker.Advanced(file, read);
            }
        }
        catch
        {
            tracker.Advanced(file, (int)-written); // the retry fetches the chunk again from its start
            throw;
        }
    }

    private long Length(int chunk) => Math.Min(settings.ChunkSize, file.Size - (chunk * settings.ChunkSize));

    private HashSet<int> ReadJournal() => File.Exists(Journal)
        ? [.. File.ReadLines(Journal).Select(l => int.TryParse(l, CultureInfo.InvariantCulture, out var i) ? i : -1).Where(i => i >= 0 && i < ChunkCount)]
        : [];
}
