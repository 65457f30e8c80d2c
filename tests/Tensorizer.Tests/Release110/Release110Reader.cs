using System.Buffers.Binary;
using System.Text;

namespace Tensorizer.Tests.Release110;

/// <summary>
/// Reads a file as tensorizer 1.1.0's <c>TensorDeserializer</c> does (serialization.py at 9335202f): version at
/// most 1, the three size slots ignored, then tensor headers walked one after another from the end of the metadata
/// block until a zero header size. It never seeks to the index's offsets, so a missing terminator is the
/// <c>struct.error: unpack requires a buffer of 8 bytes</c> users saw.
/// </summary>
internal static class Release110Reader
{
    public sealed record Tensor(string Name, byte Kind, string Dtype, uint[] Shape, byte[] Data);

    public static List<Tensor> ReadAll(byte[] file)
    {
        var at = 0;
        ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || at + count > file.Length)
            {
                throw new EndOfStreamException($"unpack requires a buffer of {count} bytes (at {at} of {file.Length})");
            }

            at += count;
            return file.AsSpan(at - count, count);
        }

        if (!Take(5).SequenceEqual("|TZR|"u8))
        {
            throw new InvalidDataException("Tried to deserialize an invalid tensorizer file");
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
        if (version > 1)
        {
            throw new InvalidDataException($"This 1 version cannot read file versioned {version}.");
        }

        Take(32 + 8 + 8 + 8); // hash, both size slots and the count: the walk below does not use them
        var metadataSize = BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
        Take(checked((int)metadataSize));

        var tensors = new List<Tensor>();
        while (true)
        {
            var headerSize = BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
            if (headerSize == 0)
            {
                return tensors;
            }

            var header = Take(checked((int)headerSize - 8));
            var kind = header[2];
            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header[3..]);
            var name = Encoding.UTF8.GetString(header.Slice(5, nameLength));
            var dtypeAt = 5 + nameLength;
            var dtype = Encoding.ASCII.GetString(header.Slice(dtypeAt + 1, header[dtypeAt]));
            var shapeAt = dtypeAt + 1 + header[dtypeAt];
            var shape = new uint[header[shapeAt]];
            for (var d = 0; d < shape.Length; d++)
            {
                shape[d] = BinaryPrimitives.ReadUInt32LittleEndian(header[(shapeAt + 1 + (4 * d))..]);
            }

            var dataLength = BinaryPrimitives.ReadInt64LittleEndian(header[^8..]);
            tensors.Add(new Tensor(name, kind, dtype, shape, Take(checked((int)dataLength)).ToArray()));
        }
    }
}
