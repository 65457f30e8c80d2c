using System.Buffers.Binary;
using System.Collections;

namespace Tensorizer.Format;

/// <summary>The metadata index: every tensor's name, kind, dtype, shape and location, in file order.</summary>
public sealed class TensorIndex : IReadOnlyList<TensorEntry>
{
    /// <summary>Smallest possible entry: name length, kind, dtype length, ndim, three u64 offsets.</summary>
    internal const int MinEntrySize = 2 + 1 + 1 + 1 + 24;

    /// <summary>A per-tensor header is at most a name, a dtype, 255 dims and its hashes: far below this.</summary>
    internal const long MaxHeaderLength = 256 * 1024;

    private readonly TensorEntry[] _entries;
    private readonly Dictionary<string, TensorEntry> _byName;

    internal TensorIndex(TensorEntry[] entries, bool headerBlock = false, long encodedLength = 0)
    {
        _entries = entries;
        HeaderBlock = headerBlock;
        EncodedLength = encodedLength;
        _byName = new Dictionary<string, TensorEntry>(entries.Length, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (!_byName.TryAdd(entry.Name.Text, entry))
            {
                throw new TensorizerFormatException($"Tensor name '{entry.Name}' appears more than once in the index.");
            }
        }
    }

    public int Count => _entries.Length;

    /// <summary>
    /// All tensor headers sit together after the index (upstream's 3.0 development layout, also version 5), so
    /// their lengths are known only once <see cref="HeaderBlockLayout"/> has read them.
    /// </summary>
    public bool HeaderBlock { get; }

    /// <summary>Bytes of the metadata block the entries occupy; writers zero the rest.</summary>
    public long EncodedLength { get; }

    public TensorEntry this[int index] => _entries[index];

    /// <summary>Sum of stored data bytes.</summary>
    public long DataBytes => _entries.Sum(e => e.DataLength);

    public TensorEntry this[string name] =>
        _byName.TryGetValue(name, out var entry) ? entry : throw new KeyNotFoundException($"No tensor named '{name}' in the file.");

    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TensorEntry? entry) =>
        _byName.TryGetValue(name, out entry);

    public IEnumerator<TensorEntry> GetEnumerator() => ((IEnumerable<TensorEntry>)_entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Parses the metadata block; every field is checked against the block and the file length.</summary>
    public static TensorIndex Parse(ReadOnlySpan<byte> metadata, FileHeader header, long fileLength)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (header.TensorCount == 0)
        {
            throw new TensorizerFormatException("Tensor index in the file is empty.");
        }

        if (header.TensorCount > (ulong)(metadata.Length / MinEntrySize))
        {
            throw new TensorizerFormatException(
                $"The header claims {header.TensorCount} tensors, more than a {metadata.Length}-byte metadata block can describe.");
        }

        var dataStart = FileHeader.MetadataOffset + (long)header.MetadataSize;
        var headerBlock = HasHeaderBlock(metadata, header.Version);
        var entries = new TensorEntry[(int)header.TensorCount];
        var reader = new SpanReader(metadata, "Metadata index");
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = ReadEntry(ref reader, header.Version, headerBlock, dataStart, fileLength);
        }

        if (!headerBlock)
        {
            TensorExtents.RequireDisjoint(entries);
        }

        return new TensorIndex(entries, headerBlock, reader.Position);
    }

    /// <summary>The same index with each header's length as read from the header block; refuses overlaps.</summary>
    internal TensorIndex WithHeaderLengths(IReadOnlyList<long> headerLengths)
    {
        var entries = _entries.Select((e, i) => e with { HeaderLength = headerLengths[i] }).ToArray();
        TensorExtents.RequireDisjoint(entries);
        return new TensorIndex(entries, HeaderBlock, EncodedLength);
    }

    /// <summary>
    /// Two layouts share version 5: tensorizer 2.12 prefixes each entry with a u32 entry version (1 or 5, so its
    /// upper half is zero), upstream's 3.0 development branch starts it with the u16 name length and the name,
    /// whose first byte is never zero (names are non-empty text). The first entry's upper half tells them apart.
    /// </summary>
    private static bool HasHeaderBlock(ReadOnlySpan<byte> metadata, int version) =>
        version >= FileHeader.HeaderBlockVersion && metadata.Length >= 4 && BinaryPrimitives.ReadUInt16LittleEndian(metadata[2..]) != 0;

    private static TensorEntry ReadEntry(ref SpanReader reader, int version, bool headerBlock, long dataStart, long fileLength)
    {
        var longDimensions = version >= FileHeader.VersionedEntriesVersion && !headerBlock && ReadEntryVersion(reader.ReadUInt32());
        var nameBytes = reader.ReadBytes(reader.ReadUInt16());
        var kind = ReadKind(reader.ReadByte());
        var name = TensorName.Decode(nameBytes, kind);
        var dtype = TensorDtype.Parse(reader.ReadAscii(reader.ReadByte(), $"the dtype of '{name}'"));
        var shape = ReadShape(ref reader, reader.ReadByte(), longDimensions);
        var headerOffset = ReadOffset(reader.ReadUInt64(), fileLength, name, "header offset");
        var dataOffset = ReadOffset(reader.ReadUInt64(), fileLength, name, "data offset");
        var dataLength = ReadOffset(reader.ReadUInt64(), fileLength, name, "data length");
        var entry = new TensorEntry(name, kind, dtype, shape, headerOffset, dataOffset, dataLength)
        {
            LongDimensions = longDimensions,
            InHeaderBlock = headerBlock,
        };
        Validate(entry, version, dataStart, fileLength);
        return entry;
    }

    internal static TensorKind ReadKind(byte value) => value <= (byte)TensorKind.StateDict
        ? (TensorKind)value
        : throw new TensorizerFormatException($"Unknown tensor type {value}; expected 0 (param), 1 (buffer) or 2 (state_dict).");

    /// <summary>Upstream accepts entry versions 1 and 5 only; true for 5 (u64 dims).</summary>
    private static bool ReadEntryVersion(uint entryVersion) => entryVersion switch
    {
        1 => false,
        TensorEntry.LongDimensionsVersion => true,
        _ => throw new TensorizerUnsupportedException(
            $"Unsupported index entry version {entryVersion}; version 5 files use entry versions 1 and {TensorEntry.LongDimensionsVersion}."),
    };

    internal static long[] ReadShape(ref SpanReader reader, int ndim, bool longDimensions)
    {
        var shape = new long[ndim];
        for (var d = 0; d < ndim; d++)
        {
            shape[d] = longDimensions ? ReadLongDimension(ref reader) : reader.ReadUInt32();
        }

        return shape;
    }

    /// <summary>A u64 dim above <see cref="long.MaxValue"/> could never be loaded; refusing it keeps shapes signed.</summary>
    private static long ReadLongDimension(ref SpanReader reader) => reader.ReadUInt64() is var dim && dim <= long.MaxValue
        ? (long)dim
        : throw new TensorizerFormatException($"Dimension {dim} is too large to load.");

    private static long ReadOffset(ulong value, long fileLength, TensorName name, string what) => value <= (ulong)fileLength
        ? (long)value
        : throw new TensorizerFormatException($"Tensor '{name}': {what} {value} is past the end of the {fileLength}-byte file.");

    private static void Validate(TensorEntry entry, int version, long dataStart, long fileLength)
    {
        long loadedLength;
        try
        {
            loadedLength = checked(entry.Shape.Aggregate(1L, (product, dim) => checked(product * dim)) * entry.Dtype.ElementSize);
        }
        catch (OverflowException)
        {
            throw new TensorizerFormatException($"Tensor '{entry.Name}': shape [{string.Join(", ", entry.Shape)}] overflows.");
        }

        // A header block's header lengths are checked once read (HeaderBlockLayout); the header is still before its data.
        if (entry.HeaderOffset < dataStart || entry.DataOffset <= entry.HeaderOffset || (!entry.InHeaderBlock && entry.HeaderLength > MaxHeaderLength))
        {
            throw new TensorizerFormatException(
                $"Tensor '{entry.Name}': header at {entry.HeaderOffset}..{entry.DataOffset} is not a valid header range after the metadata block (ends at {dataStart}).");
        }

        if (entry.DataLength > fileLength - entry.DataOffset)
        {
            throw new TensorizerFormatException(
                $"Tensor '{entry.Name}': data {entry.DataOffset}+{entry.DataLength} runs past the end of the {fileLength}-byte file.");
        }

        var isMeta = entry.DataLength == 0 && loadedLength != 0;
        if (entry.DataLength != loadedLength && !(isMeta && version >= FileHeader.MetaTensorVersion))
        {
            throw new TensorizerFormatException(
                $"Tensor '{entry.Name}': data length {entry.DataLength} does not match {entry.Dtype} [{string.Join(", ", entry.Shape)}] ({loadedLength} bytes).");
        }
    }
}
