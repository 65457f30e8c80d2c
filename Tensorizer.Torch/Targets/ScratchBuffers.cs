using System.Collections.Concurrent;

namespace Tensorizer.Torch.Targets;

/// <summary>
/// Chunk-sized byte arrays reused for a whole load: a casting target reads each chunk into one and casts it into
/// the destination. At most <c>maxBuffers</c> (one per reader) exist at once: the loader's producer waits in
/// <see cref="Rent"/> for one a reader has cast and returned, so a cast load needs at most readers × chunk beside
/// its tensors. The producer never waits on memory a reader needs to finish, so this cannot deadlock. Reused arrays
/// are already touched: they cost neither page faults nor a full-size copy of any tensor.
/// </summary>
internal sealed class ScratchBuffers(int chunkSize, int maxBuffers) : IDisposable
{
    private readonly ConcurrentBag<byte[]> _free = [];
    private readonly SemaphoreSlim _available = new(maxBuffers, maxBuffers);

    public byte[] Rent(CancellationToken cancellationToken)
    {
        _available.Wait(cancellationToken);
        return _free.TryTake(out var buffer) ? buffer : GC.AllocateUninitializedArray<byte>(chunkSize);
    }

    public void Return(byte[] buffer)
    {
        _free.Add(buffer);
        _available.Release();
    }

    public void Dispose() => _available.Dispose();
}
