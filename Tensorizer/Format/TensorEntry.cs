namespace Tensorizer.Format;

/// <summary>One tensor as the metadata index describes it; known without reading any tensor data.</summary>
public sealed record TensorEntry(
    TensorName Name,
    TensorKind Kind,
    TensorDtype Dtype,
    IReadOnlyList<long> Shape,
    long HeaderOffset,
    long DataOffset,
    long DataLength)
{
    /// <summary>The entry version (v5 files) that marks u64 dimensions; any other entry has u32 ones.</summary>
    public const uint LongDimensionsVersion = 5;

    /// <summary>Dims are stored as u64 in the index entry and the tensor header (a v5 entry of version 5).</summary>
    public bool LongDimensions { get; init; }

    public long ElementCount => Shape.Aggregate(1L, (product, dim) => product * dim);

    /// <summary>Bytes the tensor occupies once loaded (meta tensors are stored empty but load as zeros).</summary>
    public long LoadedLength => ElementCount * Dtype.ElementSize;

    /// <summary>A v4 meta tensor: stored without data, loaded as zeros.</summary>
    public bool IsMeta => DataLength == 0 && LoadedLength != 0;

    public long HeaderLength => DataOffset - HeaderOffset;

    public long DataEnd => DataOffset + DataLength;

    public override string ToString() => $"{Name} {Dtype} [{string.Join(", ", Shape)}]";
}
