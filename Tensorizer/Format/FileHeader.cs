using System.Buffers.Binary;

namespace Tensorizer.Format;

/// <summary>
/// The fixed 73-byte prologue: magic <c>|TZR|</c>, version, 32 bytes of feature flags (v4+), the "tensor size"
/// slot (the data total, not the file size, since 1.1.0's bug; never trusted), the tensor count and the size of
/// the metadata block that follows.
/// </summary>
public sealed record FileHeader(int Version, ulong FeatureFlags, ulong TensorDataSize, ulong TensorCount, ulong MetadataSize)
{
    public const int Size = 73;
    public const int MinVersion = 1;
    public const int MaxVersion = 5;

    /// <summary>Format version that introduced opaque (non-numpy) dtypes.</summary>
    public const int OpaqueDtypeVersion = 2;

    /// <summary>Format version whose tensors all carry crypt info.</summary>
    public const int EncryptionVersion = 3;

    /// <summary>Format version that introduced feature flags and meta tensors.</summary>
    public const int MetaTensorVersion = 4;

    /// <summary>
    /// Format version (tensorizer 2.12) whose index entries each start with a u32 entry version: 1 as before, or
    /// <see cref="TensorEntry.LongDimensionsVersion"/> for a tensor whose dims are u64 in both its entry and header.
    /// </summary>
    public const int VersionedEntriesVersion = 5;

    /// <summary>
    /// Format version of upstream's unreleased 3.0 development layout (<c>HEADERS_AT_TOP_TENSORIZER_VERSION</c>):
    /// all tensor headers together after the index, before the data. The same number as
    /// <see cref="VersionedEntriesVersion"/>; <see cref="TensorIndex"/> tells the two apart by the first entry.
    /// </summary>
    public const int HeaderBlockVersion = 5;

    /// <summary>The metadata block size every tensorizer writer uses.</summary>
    public const int DefaultMetadataSize = 256 * 1024;

    public const ulong EncryptedFlag = 1;

    public static ReadOnlySpan<byte> Magic => "|TZR|"u8;

    /// <summary>Every tensor header carries a crypt info block: version 3, or version 4+ with flag bit 0 (upstream's rule).</summary>
    public bool HasCryptInfo => Version == EncryptionVersion || (Version >= MetaTensorVersion && (FeatureFlags & EncryptedFlag) != 0);

    /// <summary>Offset of the first metadata byte.</summary>
    public static long MetadataOffset => Size;

    /// <summary>Parses and validates the prologue; refuses unknown versions and unknown flags (encryption is read per tensor).</summary>
    public static FileHeader Parse(ReadOnlySpan<byte> bytes, long fileLength)
    {
        if (bytes.Length < Magic.Length || !bytes[..Magic.Length].SequenceEqual(Magic))
        {
            throw new TensorizerFormatException("Not a tensorizer file: the magic '|TZR|' is missing.");
        }

        var reader = new SpanReader(bytes, "File header");
        reader.ReadBytes(Magic.Length);
        var version = reader.ReadUInt32();
        var flagBytes = reader.ReadBytes(32);
        var tensorDataSize = reader.ReadUInt64();
        reader.ReadUInt64(); // unused slot
        var count = reader.ReadUInt64();
        var metadataSize = reader.ReadUInt64();

        if (version is < MinVersion or > MaxVersion)
        {
            throw new TensorizerUnsupportedException(
                $"Unsupported tensorizer format version {version}; this library reads versions {MinVersion} to {MaxVersion}.");
        }

        // Flags are a 256-bit little-endian integer; only bit 0 (encrypted) is defined.
        if (!flagBytes[8..].IsEmpty && flagBytes[8..].ContainsAnyExcept((byte)0))
        {
            throw new TensorizerUnsupportedException("Unsupported feature flags: bits above 63 are set.");
        }

        var flags = BinaryPrimitives.ReadUInt64LittleEndian(flagBytes);
        if ((flags & ~EncryptedFlag) != 0)
        {
            throw new TensorizerUnsupportedException($"Unsupported feature flags 0x{flags:x}; only bit 0 (encryption) is defined.");
        }

        if (metadataSize > (ulong)Math.Max(0, fileLength - Size))
        {
            throw new TensorizerFormatException(
                $"Metadata block of {metadataSize} bytes runs past the end of the {fileLength}-byte file.");
        }

        return new FileHeader((int)version, flags, tensorDataSize, count, metadataSize);
    }
}
