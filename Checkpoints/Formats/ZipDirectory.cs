using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Checkpoints.Formats;

/// <summary>One entry of a zip central directory, with the fields a reader of stored data needs.</summary>
internal sealed record ZipEntry(string Name, int Method, int Flags, long CompressedSize, long UncompressedSize, long LocalHeaderOffset)
{
    public const int Stored = 0;
    public const int Deflated = 8;

    public bool IsEncrypted => (Flags & 1) != 0;
}

/// <summary>
/// A small, bounded reader of a zip file's central directory (with ZIP64), exposing what
/// <see cref="ZipArchive"/> does not: where each entry's data starts in the file. Every offset and
/// length is checked against the file; nothing is trusted.
/// </summary>
internal sealed class ZipDirectory
{
    private const uint EndSignature = 0x06054b50;
    private const uint Zip64EndSignature = 0x06064b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint CentralSignature = 0x02014b50;
    private const uint LocalSignature = 0x04034b50;
    private const int EndLength = 22;
    private const int Zip64LocatorLength = 20;
    private const int Zip64EndLength = 56;
    private const int CentralLength = 46;
    private const int LocalLength = 30;
    private const int MaxCommentLength = ushort.MaxValue;
    private const long MaxCentralDirectoryLength = 256L << 20;
    private const long MaxEntries = 1_000_000;

    private readonly SafeFileHandle _handle;
    private readonly string _path;

    private ZipDirectory(SafeFileHandle handle, string path, IReadOnlyList<ZipEntry> entries, long centralDirectoryOffset)
    {
        _handle = handle;
        _path = path;
        Entries = entries;
        CentralDirectoryOffset = centralDirectoryOffset;
    }

    /// <summary>The entries in central directory order.</summary>
    public IReadOnlyList<ZipEntry> Entries { get; }

    /// <summary>Where the central directory starts: every entry's data ends at or before it.</summary>
    public long CentralDirectoryOffset { get; }

    /// <summary>Reads the central directory of the zip open on <paramref name="handle"/> (which the caller owns).</summary>
    public static ZipDirectory Read(SafeFileHandle handle, string path)
    {
        var length = RandomAccess.GetLength(handle);
        var tailLength = (int)Math.Min(length, EndLength + MaxCommentLength + Zip64LocatorLength);
        var tail = new byte[tailLength];
        ReadExactly(handle, path, tail, length - tailLength, "the end of the file");

        var end = FindEnd(tail, path);
        var endOffset = length - tailLength + end;
        var record = tail.AsSpan(end, EndLength);
        long disk = BinaryPrimitives.ReadUInt16LittleEndian(record[4..]);
        long centralDisk = BinaryPrimitives.ReadUInt16LittleEndian(record[6..]);
        long diskEntries = BinaryPrimitives.ReadUInt16LittleEndian(record[8..]);
        long entries = BinaryPrimitives.ReadUInt16LittleEndian(record[10..]);
        long centralLength = BinaryPrimitives.ReadUInt32LittleEndian(record[12..]);
        long centralOffset = BinaryPrimitives.ReadUInt32LittleEndian(record[16..]);
        var directoryEnd = endOffset;

        var locator = end - Zip64LocatorLength;
        if (locator >= 0 && BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(locator)) == Zip64LocatorSignature)
        {
            var zip64Offset = BinaryPrimitives.ReadInt64LittleEndian(tail.AsSpan(locator + 8));
            var totalDisks = BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(locator + 16));
            var locatorOffset = endOffset - Zip64LocatorLength;
            if (totalDisks > 1)
            {
                throw Invalid(path, "is a multi-disk zip archive, which is not supported");
            }

            if (zip64Offset < 0 || zip64Offset > locatorOffset - Zip64EndLength)
            {
                throw Invalid(path, $"its ZIP64 end record offset {zip64Offset} is outside the file");
            }

            Span<byte> zip64 = stackalloc byte[Zip64EndLength];
            ReadExactly(handle, path, zip64, zip64Offset, "the ZIP64 end record");
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip64) != Zip64EndSignature)
            {
                throw Invalid(path, "its ZIP64 end record has a bad signature");
            }

            disk = BinaryPrimitives.ReadUInt32LittleEndian(zip64[16..]);
            centralDisk = BinaryPrimitives.ReadUInt32LittleEndian(zip64[20..]);
            diskEntries = BinaryPrimitives.ReadInt64LittleEndian(zip64[24..]);
            entries = BinaryPrimitives.ReadInt64LittleEndian(zip64[32..]);
            centralLength = BinaryPrimitives.ReadInt64LittleEndian(zip64[40..]);
            centralOffset = BinaryPrimitives.ReadInt64LittleEndian(zip64[48..]);
            directoryEnd = zip64Offset;
        }
        else if (entries == ushort.MaxValue || centralLength == uint.MaxValue || centralOffset == uint.MaxValue)
        {
            throw Invalid(path, "its end record needs a ZIP64 end record, which is missing (truncated file?)");
        }

        if (disk != 0 || centralDisk != 0 || diskEntries != entries)
        {
            throw Invalid(path, "is a multi-disk zip archive, which is not supported");
        }

        if (entries < 0 || entries > MaxEntries)
        {
            throw Invalid(path, $"claims {entries} entries (at most {MaxEntries} are accepted)");
        }

        if (centralLength < 0 || centralLength > MaxCentralDirectoryLength || centralOffset < 0 || centralOffset > directoryEnd - centralLength
            || centralLength < entries * CentralLength)
        {
            throw Invalid(path, $"its central directory ({centralLength} bytes at {centralOffset}) does not fit the file or its {entries} entries");
        }

        var central = new byte[centralLength];
        ReadExactly(handle, path, central, centralOffset, "the central directory");
        return new ZipDirectory(handle, path, ParseCentral(central, (int)entries, centralOffset, path), centralOffset);
    }

    /// <summary>Where <paramref name="entry"/>'s data starts, from its local header (whose name must agree with the central directory).</summary>
    public long DataOffset(ZipEntry entry)
    {
        Span<byte> local = stackalloc byte[LocalLength];
        ReadExactly(_handle, _path, local, entry.LocalHeaderOffset, $"the local header of '{entry.Name}'");
        if (BinaryPrimitives.ReadUInt32LittleEndian(local) != LocalSignature)
        {
            throw Invalid(_path, $"the local header of '{entry.Name}' at {entry.LocalHeaderOffset} has a bad signature");
        }

        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(local[26..]);
        var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(local[28..]);
        var name = new byte[nameLength];
        ReadExactly(_handle, _path, name, entry.LocalHeaderOffset + LocalLength, $"the local header of '{entry.Name}'");
        if (DecodeName(name) != entry.Name)
        {
            throw Invalid(_path, $"the local header at {entry.LocalHeaderOffset} names a different file than the central directory's '{entry.Name}'");
        }

        var dataOffset = entry.LocalHeaderOffset + LocalLength + nameLength + extraLength;
        if (dataOffset > CentralDirectoryOffset - entry.CompressedSize)
        {
            throw Invalid(_path, $"the data of '{entry.Name}' ({entry.CompressedSize} bytes at {dataOffset}) runs past the central directory");
        }

        return dataOffset;
    }

    /// <summary>Reads a small entry whole (stored or deflated), refusing one larger than <paramref name="maxLength"/>.</summary>
    public byte[] ReadSmall(ZipEntry entry, int maxLength)
    {
        if (entry.IsEncrypted)
        {
            throw Invalid(_path, $"'{entry.Name}' is encrypted");
        }

        if (entry.UncompressedSize > maxLength || entry.CompressedSize > maxLength)
        {
            throw Invalid(_path, $"'{entry.Name}' holds {entry.UncompressedSize} bytes (at most {maxLength} are accepted)");
        }

        var raw = new byte[entry.CompressedSize];
        ReadExactly(_handle, _path, raw, DataOffset(entry), $"'{entry.Name}'");
        switch (entry.Method)
        {
            case ZipEntry.Stored when entry.CompressedSize == entry.UncompressedSize:
                return raw;
            case ZipEntry.Deflated:
                var result = new byte[entry.UncompressedSize];
                int extra;
                using (var inflate = new DeflateStream(new MemoryStream(raw), CompressionMode.Decompress))
                {
                    try
                    {
                        inflate.ReadExactly(result);
                        extra = inflate.ReadByte();
                    }
                    catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
                    {
                        throw Invalid(_path, $"'{entry.Name}' does not inflate to its declared {entry.UncompressedSize} bytes: {e.Message}");
                    }
                }

                return extra < 0 ? result : throw Invalid(_path, $"'{entry.Name}' inflates to more than its declared {entry.UncompressedSize} bytes");
            default:
                throw Invalid(_path, $"'{entry.Name}' uses compression method {entry.Method} with sizes {entry.CompressedSize}/{entry.UncompressedSize}, which is not supported");
        }
    }

    private static int FindEnd(byte[] tail, string path)
    {
        // The end record is the last thing in the file but for its comment; search backwards for a signature
        // whose comment length reaches exactly to the end of the file.
        for (var i = tail.Length - EndLength; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) == EndSignature
                && i + EndLength + BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(i + 20)) == tail.Length)
            {
                return i;
            }
        }

        throw Invalid(path, "has no zip end-of-central-directory record (not a zip file, or truncated)");
    }

    private static List<ZipEntry> ParseCentral(byte[] central, int count, long centralOffset, string path)
    {
        var entries = new List<ZipEntry>(count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var position = 0;
        for (var i = 0; i < count; i++)
        {
            if (position > central.Length - CentralLength || BinaryPrimitives.ReadUInt32LittleEndian(central.AsSpan(position)) != CentralSignature)
            {
                throw Invalid(path, $"central directory entry {i} is malformed");
            }

            var header = central.AsSpan(position, CentralLength);
            var flags = (int)BinaryPrimitives.ReadUInt16LittleEndian(header[8..]);
            var method = (int)BinaryPrimitives.ReadUInt16LittleEndian(header[10..]);
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
            long uncompressed = BinaryPrimitives.ReadUInt32LittleEndian(header[24..]);
            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header[28..]);
            var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header[30..]);
            var commentLength = BinaryPrimitives.ReadUInt16LittleEndian(header[32..]);
            var startDisk = BinaryPrimitives.ReadUInt16LittleEndian(header[34..]);
            long localOffset = BinaryPrimitives.ReadUInt32LittleEndian(header[42..]);
            if (position + CentralLength + nameLength + extraLength + commentLength > central.Length)
            {
                throw Invalid(path, $"central directory entry {i} runs past the central directory");
            }

            var name = DecodeName(central.AsSpan(position + CentralLength, nameLength));
            var extra = central.AsSpan(position + CentralLength + nameLength, extraLength);
            if (uncompressed == uint.MaxValue || compressed == uint.MaxValue || localOffset == uint.MaxValue || startDisk == ushort.MaxValue)
            {
                // The ZIP64 extra field holds, in this order, only the values whose 32-bit fields are saturated.
                var zip64 = FindExtra(extra, 0x0001);
                var at = 0;
                uncompressed = uncompressed == uint.MaxValue ? ReadZip64(zip64, ref at, name, "uncompressed size", path) : uncompressed;
                compressed = compressed == uint.MaxValue ? ReadZip64(zip64, ref at, name, "compressed size", path) : compressed;
                localOffset = localOffset == uint.MaxValue ? ReadZip64(zip64, ref at, name, "local header offset", path) : localOffset;
            }

            if (startDisk != 0 && startDisk != ushort.MaxValue)
            {
                throw Invalid(path, "is a multi-disk zip archive, which is not supported");
            }

            if (compressed < 0 || uncompressed < 0 || localOffset < 0 || localOffset > centralOffset - LocalLength)
            {
                throw Invalid(path, $"'{name}' has sizes {compressed}/{uncompressed} or a local header offset {localOffset} outside the file");
            }

            if (!names.Add(name))
            {
                throw Invalid(path, $"holds '{name}' twice");
            }

            entries.Add(new ZipEntry(name, method, flags, compressed, uncompressed, localOffset));
            position += CentralLength + nameLength + extraLength + commentLength;
        }

        return entries;
    }

    private static long ReadZip64(ReadOnlySpan<byte> field, ref int at, string name, string what, string path)
    {
        if (at + 8 > field.Length)
        {
            throw Invalid(path, $"'{name}' has no ZIP64 extra field holding its {what}");
        }

        var value = BinaryPrimitives.ReadInt64LittleEndian(field[at..]);
        at += 8;
        return value;
    }

    private static ReadOnlySpan<byte> FindExtra(ReadOnlySpan<byte> extra, ushort id)
    {
        while (extra.Length >= 4)
        {
            var fieldId = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            var size = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (size > extra.Length - 4)
            {
                break;
            }

            if (fieldId == id)
            {
                return extra.Slice(4, size);
            }

            extra = extra[(4 + size)..];
        }

        return default;
    }

    // Torch writes ASCII names; other bytes are read as UTF-8 (flag bit 11) whatever the flag says, as only exact names are looked up.
    private static string DecodeName(ReadOnlySpan<byte> name) => Encoding.UTF8.GetString(name);

    private static void ReadExactly(SafeFileHandle handle, string path, Span<byte> buffer, long offset, string what)
    {
        for (var read = 0; read < buffer.Length;)
        {
            var n = RandomAccess.Read(handle, buffer[read..], offset + read);
            read += n > 0 ? n : throw Invalid(path, $"ends inside {what} (truncated file?)");
        }
    }

    private static InvalidDataException Invalid(string path, string problem) => new($"{path}: {problem}.");
}
