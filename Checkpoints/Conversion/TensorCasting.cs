using Checkpoints.Formats;
using Tensorizer.Format;
using Tensorizer.Torch;
using static TorchSharp.torch;

namespace Checkpoints.Conversion;

/// <summary>Reads one checkpoint tensor and casts it to the target dtype (floating tensors only), one tensor in memory at a time.</summary>
internal static class TensorCasting
{
    public static ScalarType? ParseDtype(string dtype) => dtype switch
    {
        "float16" or "fp16" or "half" => ScalarType.Float16,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        "float32" or "fp32" or "float" => ScalarType.Float32,
        "keep" => null,
        _ => throw new ArgumentException($"dtype '{dtype}' is not float16, bfloat16, float32 or keep."),
    };

    public static TensorElementType TargetType(CheckpointTensor tensor, ScalarType? dtype) =>
        dtype is { } target && IsFloating(tensor.Type) ? TorchDtypes.ToElementType(target) : tensor.Type;

    public static long TargetLength(CheckpointTensor tensor, ScalarType? dtype) =>
        tensor.Shape.Aggregate(1L, (a, b) => a * b) * TensorDtype.SizeOf(TargetType(tensor, dtype));

    public static byte[] ReadAndConvert(CheckpointTensor tensor, ScalarType? dtype)
    {
        var bytes = new byte[tensor.Length];
        using (var handle = File.OpenHandle(tensor.File))
        {
            for (var read = 0; read < bytes.Length;)
            {
                var n = RandomAccess.Read(handle, bytes.AsSpan(read), tensor.Offset + read);
                read += n > 0 ? n : throw new EndOfStreamException($"{tensor.File} ended inside tensor '{tensor.Name}'.");
            }
        }

        var target = TargetType(tensor, dtype);
        if (target == tensor.Type)
        {
            return bytes;
        }

        using var scope = NewDisposeScope();
        var original = empty(tensor.Shape, TorchDtypes.ToScalarType(tensor.Type));
        original.bytes = bytes;
        return original.to_type(TorchDtypes.ToScalarType(target)).bytes.ToArray();
    }

    private static bool IsFloating(TensorElementType type) =>
        type is TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Float32 or TensorElementType.Float64;
}
