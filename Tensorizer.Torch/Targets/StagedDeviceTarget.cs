using System.Collections.Concurrent;
using Tensorizer.Reading;
using TorchSharp;

namespace Tensorizer.Torch.Targets;

/// <summary>
/// Loads a tensor on an accelerator: each chunk is read into a pinned staging buffer and copied to its place in
/// the device tensor when released (after hashing, when verifying), then the buffer goes back to the pool.
/// </summary>
internal sealed class StagedDeviceTarget(torch.Tensor deviceTensor, PinnedStagingPool pool) : ITensorTarget
{
    private readonly ConcurrentDictionary<long, torch.Tensor> _staged = new();
    private readonly long _elementSize = deviceTensor.ElementSize;

    public torch.Tensor Tensor => deviceTensor;

    public Memory<byte> Acquire(long offset, int length, CancellationToken cancellationToken)
    {
        var buffer = pool.Rent(cancellationToken);
        _staged[offset] = buffer;
        return new PointerMemory(TorchNative.DataPointer(buffer), length).Memory;
    }

    public void Release(long offset, Memory<byte> chunk)
    {
        if (!_staged.TryRemove(offset, out var buffer))
        {
            throw new InvalidOperationException($"No staging buffer for offset {offset}.");
        }

        try
        {
            var count = chunk.Length / _elementSize;
            using var flat = deviceTensor.view(-1);
            using var destination = flat.narrow(0, offset / _elementSize, count);
            using var bytes = buffer.narrow(0, 0, chunk.Length);
            using var source = TensorViews.Reinterpret(bytes, deviceTensor.dtype, [count]);
            destination.copy_(source);
        }
        finally
        {
            pool.Return(buffer);
        }
    }
}
