using System.Collections.Concurrent;
using TorchSharp;

namespace Tensorizer.Torch.Targets;

/// <summary>
/// A fixed set of pinned host buffers, one chunk each: the only host memory a GPU load uses beyond the file's
/// own bytes in flight (<c>buffers × chunk size</c>), unlike upstream's one buffer per reader sized by the largest tensor.
/// </summary>
internal sealed class PinnedStagingPool : IDisposable
{
    private readonly ConcurrentBag<torch.Tensor> _free = [];
    private readonly SemaphoreSlim _available;
    private readonly List<torch.Tensor> _all = [];

    public PinnedStagingPool(int buffers, int chunkSize)
    {
        _available = new SemaphoreSlim(buffers, buffers);
        for (var i = 0; i < buffers; i++)
        {
            var buffer = torch.empty(chunkSize, torch.ScalarType.Byte).pin_memory();
            _all.Add(buffer);
            _free.Add(buffer);
        }
    }

    public torch.Tensor Rent(CancellationToken cancellationToken)
    {
        _available.Wait(cancellationToken);
        return _free.TryTake(out var buffer) ? buffer : throw new InvalidOperationException("Staging pool accounting is broken.");
    }

    public void Return(torch.Tensor buffer)
    {
        _free.Add(buffer);
        _available.Release();
    }

    public void Dispose()
    {
        foreach (var buffer in _all)
        {
            buffer.Dispose();
        }

        _available.Dispose();
    }
}
