using System.Buffers.Binary;
using System.Text;

namespace Tensorizer.Format;

/// <summary>Bounds-checked little-endian reads over untrusted bytes; running off the end is a format error.</summary>
internal ref struct SpanReader(ReadOnlySpan<byte> span, string context)
{
    private readonly ReadOnlySpan<byte> _span = span;
    private readonly string _context = context;

    public int Position { get; private set; }

    public readonly int Remaining => _span.Length - Position;

    public byte ReadByte() => Take(1)[0];

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public ReadOnlySpan<byte> ReadBytes(int count) => Take(count);

    public string ReadAscii(int count, string what)
    {
        var bytes = Take(count);
        foreach (var b in bytes)
        {
            if (b > 0x7F)
            {
                throw new TensorizerFormatException($"{_context}: {what} is not ASCII.");
            }
        }

        return Encoding.ASCII.GetString(bytes);
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw new TensorizerFormatException(
                $"{_context}: truncated; needed {count} more bytes at offset {Position}, only {Remaining} remain.");
        }

        var slice = _span.Slice(Position, count);
        Position += count;
        return slice;
    }
}
