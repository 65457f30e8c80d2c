using Tensorizer.Format;
using TorchSharp;

namespace Tensorizer.Torch;

/// <summary>Maps the format's element types to TorchSharp scalar types.</summary>
public static class TorchDtypes
{
    // libtorch's c10::ScalarType codes for types TorchSharp 0.107's enum does not name; libtorch accepts them.
    private const sbyte ComplexHalf = 8;
    private const sbyte UInt16 = 27;
    private const sbyte UInt32 = 28;
    private const sbyte UInt64 = 29;
    private const sbyte Float8E5M2 = 23;
    private const sbyte Float8E4M3FN = 24;
    private const sbyte Float8E5M2FNUZ = 25;
    private const sbyte Float8E4M3FNUZ = 26;
    private const sbyte Float8E8M0FNU = 44;

    public static torch.ScalarType ToScalarType(TensorElementType type) => type switch
    {
        TensorElementType.Bool => torch.ScalarType.Bool,
        TensorElementType.UInt8 => torch.ScalarType.Byte,
        TensorElementType.Int8 => torch.ScalarType.Int8,
        TensorElementType.Int16 => torch.ScalarType.Int16,
        TensorElementType.Int32 => torch.ScalarType.Int32,
        TensorElementType.Int64 => torch.ScalarType.Int64,
        TensorElementType.Float16 => torch.ScalarType.Float16,
        TensorElementType.BFloat16 => torch.ScalarType.BFloat16,
        TensorElementType.Float32 => torch.ScalarType.Float32,
        TensorElementType.Float64 => torch.ScalarType.Float64,
        TensorElementType.Complex64 => torch.ScalarType.ComplexFloat32,
        TensorElementType.Complex128 => torch.ScalarType.ComplexFloat64,
        TensorElementType.Complex32 => (torch.ScalarType)ComplexHalf,
        TensorElementType.UInt16 => (torch.ScalarType)UInt16,
        TensorElementType.UInt32 => (torch.ScalarType)UInt32,
        TensorElementType.UInt64 => (torch.ScalarType)UInt64,
        TensorElementType.Float8E5M2 => (torch.ScalarType)Float8E5M2,
        TensorElementType.Float8E4M3FN => (torch.ScalarType)Float8E4M3FN,
        TensorElementType.Float8E5M2FNUZ => (torch.ScalarType)Float8E5M2FNUZ,
        TensorElementType.Float8E4M3FNUZ => (torch.ScalarType)Float8E4M3FNUZ,
        TensorElementType.Float8E8M0FNU => (torch.ScalarType)Float8E8M0FNU,
        _ => throw new TensorizerUnsupportedException($"No TorchSharp scalar type for {type}."),
    };

    public static TensorElementType ToElementType(torch.ScalarType type)
    {
        foreach (var candidate in Enum.GetValues<TensorElementType>())
        {
            if (ToScalarType(candidate) == type)
            {
                return candidate;
            }
        }

        throw new TensorizerUnsupportedException($"TorchSharp scalar type {type} has no tensorizer dtype.");
    }
}
