using TorchSharp;

namespace Tensorizer.Torch.Targets;

/// <summary>Reinterpreting memory as another dtype; TorchSharp 0.107 has no <c>view(dtype)</c>.</summary>
internal static class TensorViews
{
    /// <summary>
    /// A tensor of <paramref name="type"/> and <paramref name="shape"/> sharing <paramref name="source"/>'s storage
    /// (contiguous source). Works on any device: the empty tensor adopts the storage through a zero-element view,
    /// so <c>set_</c> never grows it, and <c>as_strided</c> bounds-checks against it.
    /// </summary>
    public static torch.Tensor Reinterpret(torch.Tensor source, torch.ScalarType type, long[] shape)
    {
        var elementSize = TorchElementSize(type);
        var byteOffset = source.storage_offset() * source.ElementSize;
        if (byteOffset % elementSize != 0)
        {
            throw new ArgumentException($"Offset {byteOffset} is not aligned to {type}.", nameof(source));
        }

        var strides = new long[shape.Length];
        long stride = 1;
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= shape[d];
        }

        using var adopted = torch.empty(0, type, source.device);
        using var none = source.flatten().narrow(0, 0, 0);
        adopted.set_(none);
        return adopted.as_strided(shape, strides, byteOffset / elementSize);
    }

    public static long TorchElementSize(torch.ScalarType type)
    {
        using var probe = torch.empty(0, type);
        return probe.ElementSize;
    }
}
