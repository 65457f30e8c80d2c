namespace Tensorizer.Format;

/// <summary>The hash algorithms tensorizer stores per tensor.</summary>
public enum HashType : byte
{
    Crc32 = 0,
    Sha256 = 1,
}

/// <summary>A stored hash and where its value sits inside the header (zeroed when hashing the header).</summary>
public sealed record StoredHash(HashType Type, ReadOnlyMemory<byte> Value, int ValueOffset)
{
    public string Hex => Convert.ToHexStringLower(Value.Span);
}

/// <summary>
/// The header in front of each tensor's data: <c>&lt;QHBH</c> size, module index, kind, name length; name; dtype;
/// dims (u32, or u64 for a v5 long-dimension entry); <c>&lt;HB</c> hash section length and count; hashes; <c>&lt;q</c> data length.
/// </summary>
public sealed record TensorHeader(
    ushort ModuleIndex,
    TensorKind Kind,
    TensorName Name,
    TensorDtype Dtype,
    IReadOnlyList<long> Shape,
    IReadOnlyList<StoredHash> Hashes,
    long DataLength)
{
    /// <summary>The crypt info block of an encrypted file's header (null in plain files).</summary>
    public Crypto.CryptInfo? Crypt { get; init; }

    /// <summary>Where the crypt info block, its length prefix included, sits in the header: hashes skip it, as upstream.</summary>
    public (int Offset, int Length) CryptInfoRange { get; init; }

    /// <summary>
    /// Where the hash section (its length, count and hashes) and the crypt info after it sit. A header in a header
    /// block hashes without all of it (upstream's <c>HEADER_HASHES_OMIT_HASH_FIELDS_TENSORIZER_VERSION</c>).
    /// </summary>
    public (int Offset, int Length) HashFieldsRange { get; init; }

    /// <summary>The header comes from a header block: its hashes cover it without <see cref="HashFieldsRange"/>.</summary>
    public bool HashesOmitHashFields { get; init; }

    /// <summary>Parses a header and checks it against the index entry that points at it.</summary>
    /// <param name="hasCryptInfo">The file's <see cref="FileHeader.HasCryptInfo"/>: a crypt info block follows the hashes.</param>
    public static TensorHeader Parse(ReadOnlySpan<byte> bytes, TensorEntry entry, bool hasCryptInfo = false)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var context = $"Header of tensor '{entry.Name}'";
        var reader = new SpanReader(bytes, context);
        var headerSize = reader.ReadUInt64();
        if (headerSize != (ulong)bytes.Length)
        {
            throw new TensorizerFormatException($"{context}: size {headerSize} disagrees with the index ({bytes.Length}).");
        }

        var moduleIndex = reader.ReadUInt16();
        var kind = TensorIndex.ReadKind(reader.ReadByte());
        var name = TensorName.Decode(reader.ReadBytes(reader.ReadUInt16()), kind);
        var dtype = TensorDtype.Parse(reader.ReadAscii(reader.ReadByte(), "dtype"));
        var shape = TensorIndex.ReadShape(ref reader, reader.ReadByte(), entry.LongDimensions);
        var hashFieldsStart = reader.Position;
        var hashes = ReadHashes(ref reader, context);
        var cryptStart = reader.Position;
        var crypt = hasCryptInfo ? ReadCryptInfo(ref reader, context) : null;
        var cryptRange = (cryptStart, reader.Position - cryptStart);

        // The data length is the last 8 bytes; anything between the hashes and it would be crypt info.
        if (reader.Remaining != sizeof(long))
        {
            throw new TensorizerFormatException($"{context}: {reader.Remaining - sizeof(long)} unexpected bytes before the data length.");
        }

        var dataLength = reader.ReadInt64();
        var header = new TensorHeader(moduleIndex, kind, name, dtype, shape, hashes, dataLength)
        {
            Crypt = crypt,
            CryptInfoRange = cryptRange,
            HashFieldsRange = (hashFieldsStart, bytes.Length - sizeof(long) - hashFieldsStart),
            HashesOmitHashFields = entry.InHeaderBlock,
        };
        header.CheckAgainst(entry, context);
        return header;
    }

    /// <summary>Size of an unencrypted header; <paramref name="hashesLength"/> counts the hash count byte and the hashes (41 for both).</summary>
    public static int SizeFor(int nameLength, int dtypeLength, int ndim, int hashesLength) =>
        8 + 2 + 1 + 2 + nameLength + 1 + dtypeLength + 1 + (4 * ndim) + 2 + hashesLength + 8;

    /// <summary>A <c>&lt;Q</c>-length-prefixed block that must leave room for the data length after it.</summary>
    private static Crypto.CryptInfo ReadCryptInfo(ref SpanReader reader, string context)
    {
        var length = reader.ReadUInt64();
        if (length > (ulong)Math.Max(0, reader.Remaining - sizeof(long)))
        {
            throw new TensorizerFormatException($"{context}: crypt info of {length} bytes runs past the header.");
        }

        return Crypto.CryptInfo.Parse(reader.ReadBytes((int)length), context);
    }

    private static StoredHash[] ReadHashes(ref SpanReader reader, string context)
    {
        var sectionLength = reader.ReadUInt16();
        var sectionStart = reader.Position;
        var count = reader.ReadByte();
        var hashes = new StoredHash[count];
        for (var i = 0; i < count; i++)
        {
            var type = reader.ReadByte();
            var length = reader.ReadByte();
            var valueOffset = reader.Position;
            var value = reader.ReadBytes(length).ToArray();
            hashes[i] = type switch
            {
                (byte)HashType.Crc32 when length == 4 => new StoredHash(HashType.Crc32, value, valueOffset),
                (byte)HashType.Sha256 when length == 32 => new StoredHash(HashType.Sha256, value, valueOffset),
                (byte)HashType.Crc32 or (byte)HashType.Sha256 =>
                    throw new TensorizerFormatException($"{context}: hash type {type} has length {length}."),
                _ => throw new TensorizerFormatException($"{context}: unknown hash type {type}."),
            };
        }

        if (reader.Position - sectionStart != sectionLength)
        {
            throw new TensorizerFormatException(
                $"{context}: hash section is {reader.Position - sectionStart} bytes, header says {sectionLength}.");
        }

        return hashes;
    }

    private void CheckAgainst(TensorEntry entry, string context)
    {
        if (!Name.Equals(entry.Name) || Kind != entry.Kind || Dtype.Text != entry.Dtype.Text
            || !Shape.SequenceEqual(entry.Shape) || DataLength != entry.DataLength)
        {
            throw new TensorizerFormatException(
                $"{context} disagrees with the index: header says {Name} {Kind} {Dtype} [{string.Join(", ", Shape)}] {DataLength} bytes, " +
                $"index says {entry.Name} {entry.Kind} {entry.Dtype} [{string.Join(", ", entry.Shape)}] {entry.DataLength} bytes.");
        }
    }
}
