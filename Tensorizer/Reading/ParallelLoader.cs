using System.Collections.Concurrent;
using Tensorizer.Format;
using Tensorizer.Sources;

namespace Tensorizer.Reading;

/// <summary>
/// The hot path: one producer walks the tensors in file order, queueing each tensor's header and then its data in
/// chunks, acquiring destination memory for each; N reader threads read chunks straight into that memory. Readers
/// are dedicated threads because a local read is a blocking pread and hashing is CPU-bound: on the thread pool they
/// would starve it. Memory is acquired in file order, so a staging pool can never be exhausted by chunks that wait
/// on an earlier one; with one reader every byte is read in file order, which a sequential source needs.
/// </summary>
/// <remarks>
/// In an encrypted file (<paramref name="hasCryptInfo"/>) the producer waits for each tensor's header before queueing
/// its data, so reads can be sized to whole secretboxes; each chunk is decrypted in place by the reader that read it,
/// before it is hashed or released to the target (hashes cover plaintext, as upstream).
/// </remarks>
internal sealed class ParallelLoader(IRangeSource source, LoadOptions options, IProgress<LoadProgress>? progress, bool hasCryptInfo = false)
{
    private readonly int _readers = Math.Max(1, Math.Min(options.Readers, source.MaxConcurrentReads));
    private long _bytesRead;
    private int _tensorsDone;

    public async Task RunAsync(IReadOnlyList<TensorJob> jobs, CancellationToken cancellationToken)
    {
        var totalBytes = jobs.Sum(j => j.Entry.DataLength);
        using var failure = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var queue = new BlockingCollection<Chunk>(boundedCapacity: _readers);
        var threads = new List<Task> { StartThread(() => Produce(jobs, queue, failure.Token), failure) };
        for (var i = 0; i < _readers; i++)
        {
            threads.Add(StartThread(() => ReadChunks(queue, jobs.Count, totalBytes, failure.Token), failure));
        }

        try
        {
            await Task.WhenAll(threads).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A reader failed and cancelled the rest: surface the real error below.
        }

        var error = threads.Select(t => t.Exception?.InnerException).FirstOrDefault(e => e is not null and not OperationCanceledException);
        if (error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    private static Task StartThread(Action body, CancellationTokenSource failure) =>
        Task.Factory.StartNew(
            () =>
            {
                try
                {
                    body();
                }
                catch
                {
                    failure.Cancel();
                    throw;
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

    private void Produce(IReadOnlyList<TensorJob> jobs, BlockingCollection<Chunk> queue, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var job in jobs)
            {
                queue.Add(new Chunk(job, -1, new byte[job.Entry.HeaderLength]), cancellationToken);
                var readSize = options.ChunkSize;
                if (hasCryptInfo)
                {
                    job.HeaderParsed.Task.Wait(cancellationToken);
                    readSize = job.Decryptor?.ReadSize(options.ChunkSize) ?? readSize;
                }

                for (long offset = 0; offset < job.Entry.DataLength; offset += readSize)
                {
                    var length = (int)Math.Min(readSize, job.Entry.DataLength - offset);
                    queue.Add(new Chunk(job, offset, job.Target.Acquire(offset, length, cancellationToken)), cancellationToken);
                }
            }
        }
        finally
        {
            queue.CompleteAdding();
        }
    }

    private void ReadChunks(BlockingCollection<Chunk> queue, int tensorCount, long totalBytes, CancellationToken cancellationToken)
    {
        foreach (var chunk in queue.GetConsumingEnumerable(cancellationToken))
        {
            var read = source.ReadAsync(chunk.FileOffset, chunk.Memory, cancellationToken);
            if (!read.IsCompletedSuccessfully)
            {
                read.AsTask().GetAwaiter().GetResult();
            }

            if (chunk.IsHeader)
            {
                HeaderRead(chunk, tensorCount, totalBytes);
            }
            else
            {
                DataRead(chunk, tensorCount, totalBytes);
            }
        }
    }

    /// <summary>Every header is parsed and checked against the index, verifying or not.</summary>
    private void HeaderRead(Chunk chunk, int tensorCount, long totalBytes)
    {
        var bytes = System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(chunk.Memory, out var segment) ? segment.Array! : chunk.Memory.ToArray();
        var header = TensorHeader.Parse(bytes, chunk.Job.Entry, hasCryptInfo);
        if (hasCryptInfo)
        {
            chunk.Job.Decryptor = Crypto.TensorDecryptor.For(header, chunk.Job.Entry, options.Decryption);
            chunk.Job.HeaderParsed.TrySetResult();
        }

        chunk.Job.Hash?.HeaderRead(header, bytes);
        if (chunk.Job.Entry.DataLength == 0)
        {
            Report(0, Interlocked.Increment(ref _tensorsDone), tensorCount, totalBytes);
        }
    }

    private void DataRead(Chunk chunk, int tensorCount, long totalBytes)
    {
        // A chunk that fails authentication throws here: never hashed, never released to the target.
        chunk.Job.Decryptor?.Decrypt(chunk.Offset, chunk.Memory.Span);
        if (chunk.Job.Hash is { } hash)
        {
            hash.Completed(chunk.Offset, chunk.Memory);
        }
        else
        {
            chunk.Job.Target.Release(chunk.Offset, chunk.Memory);
        }

        var tensorsDone = chunk.Job.CountRead(chunk.Memory.Length) ? Interlocked.Increment(ref _tensorsDone) : Volatile.Read(ref _tensorsDone);
        Report(chunk.Memory.Length, tensorsDone, tensorCount, totalBytes);
    }

    private void Report(int bytes, int tensorsDone, int tensorCount, long totalBytes) =>
        progress?.Report(new LoadProgress(Interlocked.Add(ref _bytesRead, bytes), totalBytes, tensorsDone, tensorCount));
}
