using System.Collections.Concurrent;

namespace Tensorizer.Torch.Targets;

/// <summary>
/// Chunk-sized byte arrays reused for a whole load: a casting target reads each chunk into one and casts it into
/// the destination. At most about two per reader exist at once (the loader's queue bounds chunks in flight), and
/// reused arrays are already touched, so they cost neither page faults nor a full-size copy of any tensor.
/// </summary>
internal sealed class ScratchBuffers(int chunkSize)
{
    private readonly ConcurrentBag<byte[]> _free = [];

    public byte[] Rent() => _free.TryTake(out var buffer) ? buffer : GC.AllocateUninitializedArray<byte>(chunkSize);

    public void Return(byte[] buffer) => _free.Add(buffer);
}
