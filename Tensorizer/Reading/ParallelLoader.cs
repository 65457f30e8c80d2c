using System.Collections.Concurrent;
using Tensorizer.Sources;

namespace Tensorizer.Reading;

/// <summary>
/// The hot path: one producer walks the tensors in file order, acquires destination memory for each chunk and
/// queues it; N reader threads read chunks straight into that memory. Readers are dedicated threads because a
/// local read is a blocking pread and hashing is CPU-bound: on the thread pool they would starve it.
/// Memory is acquired in file order, so a staging pool can never be exhausted by chunks that wait on an earlier one.
/// </summary>
internal sealed class ParallelLoader(IRangeSource source, LoadOptions options, IProgress<LoadProgress>? progress)
{
    private long _bytesRead;
    private int _tensorsDone;

    public async Task RunAsync(IReadOnlyList<TensorJob> jobs, CancellationToken cancellationToken)
    {
        var totalBytes = jobs.Sum(j => j.Entry.DataLength);
        foreach (var job in jobs.Where(j => j.Entry.DataLength == 0))
        {
            job.Hash?.Finish();
            _tensorsDone++;
        }

        using var failure = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var queue = new BlockingCollection<Chunk>(boundedCapacity: options.Readers);
        var threads = new List<Task>
        {
            StartThread(() => Produce(jobs, queue, failure.Token), failure),
        };
        for (var i = 0; i < options.Readers; i++)
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
                for (long offset = 0; offset < job.Entry.DataLength; offset += options.ChunkSize)
                {
                    var length = (int)Math.Min(options.ChunkSize, job.Entry.DataLength - offset);
                    var memory = job.Target.Acquire(offset, length, cancellationToken);
                    queue.Add(new Chunk(job, offset, length, memory), cancellationToken);
                }
            }
        }
        finally
        {
            queue.CompleteAdding();
        }
    }

    private void ReadChunks(
        BlockingCollection<Chunk> queue, int tensorCount, long totalBytes, CancellationToken cancellationToken)
    {
        foreach (var chunk in queue.GetConsumingEnumerable(cancellationToken))
        {
            var read = source.ReadAsync(chunk.Job.Entry.DataOffset + chunk.Offset, chunk.Memory, cancellationToken);
            if (!read.IsCompletedSuccessfully)
            {
                read.AsTask().GetAwaiter().GetResult();
            }

            if (chunk.Job.Hash is { } hash)
            {
                hash.Completed(chunk.Offset, chunk.Memory);
            }
            else
            {
                chunk.Job.Target.Release(chunk.Offset, chunk.Memory);
            }

            var done = Interlocked.Add(ref _bytesRead, chunk.Length);
            var tensorsDone = chunk.Job.CountRead(chunk.Length)
                ? Interlocked.Increment(ref _tensorsDone)
                : Volatile.Read(ref _tensorsDone);
            progress?.Report(new LoadProgress(done, totalBytes, tensorsDone, tensorCount));
        }
    }
}
