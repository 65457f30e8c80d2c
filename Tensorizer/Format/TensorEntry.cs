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

    /// <summary>
    /// The header sits in the header block after the index (upstream's 3.0 development layout), not in front of
    /// its data; its length is then its own size field, and its hashes omit the hash section.
    /// </summary>
    public bool InHeaderBlock { get; init; }

    private readonly long? _headerLength;

    /// <summary>In front of the data, the header fills the gap up to it; in the header block, its own size field says.</summary>
    public long HeaderLength
    {
        get => _headerLength ?? DataOffset - HeaderOffset;
        init => _headerLength = value;
    }

    public long HeaderEnd => HeaderOffset + HeaderLength;

    public long ElementCount => Shape.Aggregate(1L, (product, dim) => product * dim);

    /// <summary>Bytes the tensor occupies once loaded (meta tensors are stored empty but load as zeros).</summary>
    public long LoadedLength => ElementCount * Dtype.ElementSize;

    /// <summary>A v4 meta tensor: stored without data, loaded as zeros.</summary>
    public bool IsMeta => DataLength == 0 && LoadedLength != 0;

    public long DataEnd => DataOffset + DataLength;

    public override string ToString() => $"{Name} {Dtype} [{string.Join(", ", Shape)}]";
}
