using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace TestSupport;

/// <summary>
/// Builds <c>.tensors</c> files byte by byte from the format description (docs/format.md), independently of the
/// library's writer, so reader tests check the format itself and not our own round trip.
/// </summary>
public sealed class RawFileBuilder
{
    private readonly List<RawTensor> _tensors = [];

    public uint Version { get; set; } = 1;

    public byte[] Flags { get; set; } = new byte[32];

    /// <summary>1.1.0 writes the data total into the slot at 41; upstream HEAD does too.</summary>
    public ulong? SizeSlot { get; set; }

    public ulong? CountOverride { get; set; }

    public int MetadataSize { get; set; } = 256 * 1024;

    /// <summary>Version 5 files prefix every index entry with a u32 entry version (1, or 5 for u64 dims); this overrides it.</summary>
    public uint? EntryVersionOverride { get; set; }

    /// <summary>
    /// Upstream's 3.0 development layout (version 5, <c>HEADERS_AT_TOP</c>): entries without an entry version, all
    /// headers together after the index, zero padding to a 4096-byte boundary, then the data and the terminator.
    /// Header hashes cover the header without its hash section.
    /// </summary>
    public bool HeaderBlock { get; set; }

    /// <summary>Header block only: zeros after the headers (upstream reserves 1 KiB per spare header).</summary>
    public int HeaderBlockSlack { get; set; }

    /// <summary>Header block only: each tensor's data starts on an 8-byte boundary, as upstream's incremental writes.</summary>
    public bool AlignTensors { get; set; }

    /// <summary>Header block only: list the tensors in the index in reverse file order (upstream sorts by offset).</summary>
    public bool ReverseIndex { get; set; }

    /// <summary>Header block only: overrides a header offset in the index (by tensor position).</summary>
    public Dictionary<int, long> HeaderOffsetOverrides { get; } = [];

    public RawFileBuilder Add(string name, string dtype, uint[] shape, byte[] data, byte kind = 0, ushort moduleIndex = 0) =>
        Add(Encoding.UTF8.GetBytes(name), dtype, shape, data, kind, moduleIndex);

    public RawFileBuilder Add(byte[] name, string dtype, uint[] shape, byte[] data, byte kind = 0, ushort moduleIndex = 0)
    {
        _tensors.Add(new RawTensor(name, Encoding.ASCII.GetBytes(dtype), [.. shape.Select(d => (ulong)d)], false, data, kind, moduleIndex));
        return this;
    }

    /// <summary>A version 5 "long" tensor: entry version 5, dims as u64 in its index entry and its header.</summary>
    public RawFileBuilder AddLong(string name, string dtype, ulong[] shape, byte[] data)
    {
        _tensors.Add(new RawTensor(Encoding.UTF8.GetBytes(name), Encoding.ASCII.GetBytes(dtype), shape, true, data, 0, 0));
        return this;
    }

    public byte[] Build()
    {
        if (HeaderBlock)
        {
            return BuildWithHeaderBlock();
        }

        var index = new MemoryStream();
        var body = new MemoryStream();
        long position = 73 + MetadataSize;
        foreach (var t in _tensors)
        {
            var header = Header(t);
            var headerOffset = position;
            var dataOffset = position + header.Length;
            var entry = new BinaryWriter(index);
            if (Version >= 5)
            {
                entry.Write(EntryVersionOverride ?? (t.Long ? 5u : 1u));
            }

            entry.Write((ushort)t.Name.Length);
            entry.Write(t.Name);
            entry.Write(t.Kind);
            entry.Write((byte)t.Dtype.Length);
            entry.Write(t.Dtype);
            entry.Write((byte)t.Shape.Length);
            WriteShape(entry, t);

            entry.Write((ulong)headerOffset);
            entry.Write((ulong)dataOffset);
            entry.Write((ulong)t.Data.Length);
            body.Write(header);
            body.Write(t.Data);
            position = dataOffset + t.Data.Length;
        }

        return Assemble(index.ToArray(), body.ToArray());
    }

    private byte[] BuildWithHeaderBlock()
    {
        var headers = _tensors.Select(t => Header(t, omitHashFields: true)).ToArray();
        var headerOffsets = new long[_tensors.Count];
        long position = 73 + MetadataSize;
        for (var i = 0; i < headers.Length; i++)
        {
            headerOffsets[i] = HeaderOffsetOverrides.TryGetValue(i, out var at) ? at : position;
            position += headers[i].Length;
        }

        var dataStart = (position + HeaderBlockSlack + 4095) & ~4095L;
        var body = new MemoryStream();
        body.Write(headers.SelectMany(h => h).ToArray());
        body.Write(new byte[dataStart - position]);
        var dataOffsets = new long[_tensors.Count];
        position = dataStart;
        for (var i = 0; i < _tensors.Count; i++)
        {
            var aligned = AlignTensors ? (position + 7) & ~7L : position;
            body.Write(new byte[aligned - position]);
            dataOffsets[i] = aligned;
            body.Write(_tensors[i].Data);
            position = aligned + _tensors[i].Data.Length;
        }

        body.Write(new byte[8]); // the terminator upstream leaves after the last tensor
        var index = new BinaryWriter(new MemoryStream());
        var order = Enumerable.Range(0, _tensors.Count);
        foreach (var i in ReverseIndex ? order.Reverse() : order)
        {
            var t = _tensors[i];
            index.Write((ushort)t.Name.Length);
            index.Write(t.Name);
            index.Write(t.Kind);
            index.Write((byte)t.Dtype.Length);
            index.Write(t.Dtype);
            index.Write((byte)t.Shape.Length);
            WriteShape(index, t);
            index.Write((ulong)headerOffsets[i]);
            index.Write((ulong)dataOffsets[i]);
            index.Write((ulong)t.Data.Length);
        }

        return Assemble(((MemoryStream)index.BaseStream).ToArray(), body.ToArray());
    }

    private byte[] Assemble(byte[] index, byte[] body)
    {
        var file = new MemoryStream();
        var w = new BinaryWriter(file);
        w.Write("|TZR|"u8);
        w.Write(Version);
        w.Write(Flags);
        w.Write(SizeSlot ?? (ulong)_tensors.Sum(t => t.Data.Length));
        w.Write(0UL);
        w.Write(CountOverride ?? (ulong)_tensors.Count);
        w.Write((ulong)MetadataSize);
        var metadata = new byte[MetadataSize];
        index.AsSpan(0, Math.Min(index.Length, MetadataSize)).CopyTo(metadata);
        w.Write(metadata);
        w.Write(body);
        return file.ToArray();
    }

    /// <summary>
    /// &lt;QHBH name B dtype B dims HB (BBI) (BB32s) q, hashed with the values zeroed; in a header block, hashed
    /// without the hash section (its length, count and hashes).
    /// </summary>
    private static byte[] Header(RawTensor t, bool omitHashFields = false)
    {
        var size = 8 + 2 + 1 + 2 + t.Name.Length + 1 + t.Dtype.Length + 1 + ((t.Long ? 8 : 4) * t.Shape.Length) + 2 + 41 + 8;
        var h = new BinaryWriter(new MemoryStream());
        h.Write((ulong)size);
        h.Write(t.ModuleIndex);
        h.Write(t.Kind);
        h.Write((ushort)t.Name.Length);
        h.Write(t.Name);
        h.Write((byte)t.Dtype.Length);
        h.Write(t.Dtype);
        h.Write((byte)t.Shape.Length);
        WriteShape(h, t);

        var hashFieldsAt = (int)h.BaseStream.Position;
        h.Write((ushort)41);
        h.Write((byte)2);
        h.Write((byte)0);
        h.Write((byte)4);
        var crcAt = (int)h.BaseStream.Position;
        h.Write(0u);
        h.Write((byte)1);
        h.Write((byte)32);
        var shaAt = (int)h.BaseStream.Position;
        h.Write(new byte[32]);
        h.Write((long)t.Data.Length);
        var bytes = ((MemoryStream)h.BaseStream).ToArray();

        var hashed = omitHashFields ? [.. bytes[..hashFieldsAt], .. bytes[^8..], .. t.Data] : bytes.Concat(t.Data).ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(crcAt), Crc32.HashToUInt32(hashed));
        SHA256.HashData(hashed).CopyTo(bytes, shaAt);
        return bytes;
    }

    private static void WriteShape(BinaryWriter w, RawTensor t)
    {
        foreach (var d in t.Shape)
        {
            if (t.Long)
            {
                w.Write(d);
            }
            else
            {
                w.Write((uint)d);
            }
        }
    }

    private sealed record RawTensor(byte[] Name, byte[] Dtype, ulong[] Shape, bool Long, byte[] Data, byte Kind, ushort ModuleIndex);
}
