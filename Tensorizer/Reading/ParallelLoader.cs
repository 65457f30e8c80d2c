using System.Collections.Concurrent;
using Tensorizer.Format;
using Tensorizer.Sources;

namespace Tensorizer.Reading;

/// <summary>
/// The hot path: one producer walks the tensors in the order given (file order; a sharded checkpoint's shards
/// interleaved), queueing each tensor's header (when it has one) and then its data in chunks, acquiring destination
/// memory for each; N reader threads read chunks from the tensor's own source straight into that memory. Readers
/// are dedicated threads because a local read is a blocking pread and hashing is CPU-bound: on the thread pool they
/// would starve it. Memory is acquired in file order, so a staging pool can never be exhausted by chunks that wait
/// on an earlier one; with one reader every byte is read in file order, which a sequential source needs.
/// </summary>
/// <remarks>
/// In an encrypted file (<paramref name="hasCryptInfo"/>) the producer waits for each tensor's header before queueing
/// its data, so reads can be sized to whole secretboxes; each chunk is decrypted in place by the reader that read it,
/// before it is hashed or released to the target (hashes cover plaintext, as upstream).
/// </remarks>
internal sealed class ParallelLoader(IReadOnlyList<IRangeSource> sources, LoadOptions options, IProgress<LoadProgress>? progress, bool hasCryptInfo = false)
{
    // A source that only streams forward (one reader) makes the whole load sequential: it must see its bytes in order.
    private readonly int _readers = Math.Max(1, Math.Min(options.Readers, sources.Count == 0 ? 1 : sources.Min(s => s.MaxConcurrentReads)));
    private long _bytesRead;
    private int _tensorsDone;
    private int _tensorCount;
    private long _totalBytes;

    public async Task RunAsync(IReadOnlyList<TensorJob> jobs, CancellationToken cancellationToken)
    {
        (_tensorCount, _totalBytes) = (jobs.Count, jobs.Sum(j => j.Entry.DataLength));
        using var failure = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var queue = new BlockingCollection<Chunk>(boundedCapacity: _readers);
        var threads = new List<Task> { StartThread(() => Produce(jobs, queue, failure.Token), failure) };
        for (var i = 0; i < _readers; i++)
        {
            threads.Add(StartThread(() => ReadChunks(queue, failure.Token), failure));
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
                if (!job.HasHeader)
                {
                    QueueData(job, options.ChunkSize, queue, cancellationToken);
                    continue;
                }

                queue.Add(new Chunk(job, -1, new byte[job.Entry.HeaderLength]), cancellationToken);
                var readSize = options.ChunkSize;
                if (hasCryptInfo)
                {
                    job.HeaderParsed.Task.Wait(cancellationToken);
                    readSize = job.Decryptor?.ReadSize(options.ChunkSize) ?? readSize;
                }

                QueueData(job, readSize, queue, cancellationToken);
            }
        }
        finally
        {
            queue.CompleteAdding();
        }
    }

    private void QueueData(TensorJob job, int readSize, BlockingCollection<Chunk> queue, CancellationToken cancellationToken)
    {
        if (!job.HasHeader && job.Entry.DataLength == 0)
        {
            Report(0, Interlocked.Increment(ref _tensorsDone)); // nothing to read: done as soon as it is reached
            return;
        }

        for (long offset = 0; offset < job.Entry.DataLength; offset += readSize)
        {
            var length = (int)Math.Min(readSize, job.Entry.DataLength - offset);
            queue.Add(new Chunk(job, offset, job.Target.Acquire(offset, length, cancellationToken)), cancellationToken);
        }
    }

    private void ReadChunks(BlockingCollection<Chunk> queue, CancellationToken cancellationToken)
    {
        foreach (var chunk in queue.GetConsumingEnumerable(cancellationToken))
        {
            var read = chunk.Job.Source.ReadAsync(chunk.FileOffset, chunk.Memory, cancellationToken);
            if (!read.IsCompletedSuccessfully)
            {
                read.AsTask().GetAwaiter().GetResult();
            }

            if (chunk.IsHeader)
            {
                HeaderRead(chunk);
            }
            else
            {
                DataRead(chunk);
            }
        }
    }

    /// <summary>Every header is parsed and checked against the index, verifying or not.</summary>
    private void HeaderRead(Chunk chunk)
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
            Report(0, Interlocked.Increment(ref _tensorsDone));
        }
    }

    private void DataRead(Chunk chunk)
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
        Report(chunk.Memory.Length, tensorsDone);
    }

    private void Report(int bytes, int tensorsDone) =>
        progress?.Report(new LoadProgress(Interlocked.Add(ref _bytesRead, bytes), _totalBytes, tensorsDone, _tensorCount));
}
