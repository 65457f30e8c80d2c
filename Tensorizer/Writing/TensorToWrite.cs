using Tensorizer.Format;

namespace Tensorizer.Writing;

/// <summary>
/// One tensor for the writer: what the index says about it and, except for meta tensors, its bytes as one or more
/// memory segments (a tensor over 2 GiB is several). The writer enumerates the segments twice: hash, then write.
/// </summary>
public sealed record TensorToWrite(
    TensorName Name,
    TensorKind Kind,
    TensorDtype Dtype,
    IReadOnlyList<long> Shape,
    IReadOnlyList<ReadOnlyMemory<byte>>? Data,
    ushort ModuleIndex = 0)
{
    /// <summary>A meta tensor (format v4): shape and dtype only; readers load it as zeros.</summary>
    public bool IsMeta => Data is null;

    public long ElementCount => Shape.Aggregate(1L, (product, dim) => checked(product * dim));

    public long DataLength => IsMeta ? 0 : ElementCount * Dtype.ElementSize;

    /// <summary>A state-dict tensor from one contiguous buffer.</summary>
    public static TensorToWrite StateDict(string name, TensorElementType type, IReadOnlyList<long> shape, ReadOnlyMemory<byte> data) =>
        new(TensorName.Plain(name), TensorKind.StateDict, TensorDtype.For(type), shape, [data]);

    /// <summary>A meta tensor: no data on disk; loads as zeros of this shape.</summary>
    public static TensorToWrite Meta(string name, TensorKind kind, TensorElementType type, IReadOnlyList<long> shape) =>
        new(TensorName.Plain(name), kind, TensorDtype.For(type), shape, null);
}
