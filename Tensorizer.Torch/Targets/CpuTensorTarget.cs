using Tensorizer.Reading;
using TorchSharp;

namespace Tensorizer.Torch.Targets;

/// <summary>Reads straight into a contiguous CPU tensor's own memory: no staging, no copy.</summary>
internal sealed class CpuTensorTarget : ITensorTarget
{
    private readonly IntPtr _data;

    public CpuTensorTarget(torch.Tensor tensor)
    {
        if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
        {
            throw new ArgumentException("A CPU target needs a contiguous CPU tensor.", nameof(tensor));
        }

        Tensor = tensor;
        _data = TorchNative.DataPointer(tensor);
    }

    public torch.Tensor Tensor { get; }

    public Memory<byte> Acquire(long offset, int length, CancellationToken cancellationToken) =>
        new PointerMemory(_data + (nint)offset, length).Memory;

    public void Release(long offset, Memory<byte> chunk)
    {
    }
}
