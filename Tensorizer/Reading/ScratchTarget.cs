using System.Buffers;

namespace Tensorizer.Reading;

/// <summary>
/// Reads into a bounded set of pooled buffers and discards the bytes once hashed: verification and benchmarks
/// touch every byte with memory bounded by <c>maxChunks × chunk size</c>, however large the file.
/// </summary>
public sealed class ScratchTarget(int maxChunks) : ITensorTarget, IDisposable
{
    private readonly SemaphoreSlim _free = new(maxChunks, maxChunks);

    public Memory<byte> Acquire(long offset, int length, CancellationToken cancellationToken)
    {
        _free.Wait(cancellationToken);
        return ArrayPool<byte>.Shared.Rent(length).AsMemory(0, length);
    }

    public void Release(long offset, Memory<byte> chunk)
    {
        if (System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(chunk, out var segment) && segment.Array is not null)
        {
            ArrayPool<byte>.Shared.Return(segment.Array);
        }

        _free.Release();
    }

    public void Dispose() => _free.Dispose();
}
