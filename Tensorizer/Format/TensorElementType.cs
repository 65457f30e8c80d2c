namespace Tensorizer.Format;

/// <summary>The element types a <c>.tensors</c> file can hold, independent of any tensor library.</summary>
#pragma warning disable CA1720 // The members are dtype names; that they match type names is the point.
public enum TensorElementType
{
    Bool,
    UInt8,
    Int8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float16,
    BFloat16,
    Float32,
    Float64,
    Complex32,
    Complex64,
    Complex128,
    Float8E4M3FN,
    Float8E5M2,
    Float8E4M3FNUZ,
    Float8E5M2FNUZ,
    Float8E8M0FNU,
}
#pragma warning restore CA1720
