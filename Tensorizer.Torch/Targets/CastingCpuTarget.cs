using System.Runtime.InteropServices;
using Tensorizer.Casting;
using Tensorizer.Format;
using Tensorizer.Reading;
using TorchSharp;

namespace Tensorizer.Torch.Targets;

/// <summary>
/// Reads a tensor stored as one floating type into a contiguous CPU tensor of another (fp16 or bf16 checkpoints
/// served in fp32): each chunk is read into a reused scratch buffer and cast straight into its place in the
/// destination when released, by the reader that read it. No full-size copy of the stored tensor ever exists.
/// </summary>
internal sealed unsafe class CastingCpuTarget : ITensorTarget
{
    private readonly IntPtr _data;
    private readonly TensorElementType _stored;
    private readonly TensorElementType _destination;
    private readonly ScratchBuffers _scratch;

    public CastingCpuTarget(torch.Tensor tensor, TensorElementType stored, ScratchBuffers scratch)
    {
        if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
        {
            throw new ArgumentException("A CPU target needs a contiguous CPU tensor.", nameof(tensor));
        }

        Tensor = tensor;
        _data = TorchNative.DataPointer(tensor);
        _stored = stored;
        _destination = TorchDtypes.ToElementType(tensor.dtype);
        _scratch = scratch;
    }

    public torch.Tensor Tensor { get; }

    public static bool Supports(TensorElementType stored, torch.ScalarType destination) =>
        stored != TorchDtypes.ToElementType(destination) && ElementCasts.Supports(stored, TorchDtypes.ToElementType(destination));

    public Memory<byte> Acquire(long offset, int length, CancellationToken cancellationToken) => _scratch.Rent(cancellationToken).AsMemory(0, length);

    public void Release(long offset, Memory<byte> chunk)
    {
        // Chunks start at multiples of the chunk size (whole pages), so they split no element.
        var (storedSize, destinationSize) = (TensorDtype.SizeOf(_stored), TensorDtype.SizeOf(_destination));
        var output = new Span<byte>((byte*)_data + (offset / storedSize * destinationSize), chunk.Length / storedSize * destinationSize);
        ElementCasts.Cast(chunk.Span, _stored, output, _destination);
        _scratch.Return(MemoryMarshal.TryGetArray<byte>(chunk, out var segment) ? segment.Array! : throw new InvalidOperationException("A scratch chunk lost its array."));
    }
}
