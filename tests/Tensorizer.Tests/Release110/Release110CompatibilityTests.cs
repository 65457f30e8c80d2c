using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using Tensorizer.Format;
using Tensorizer.Writing;

namespace Tensorizer.Tests.Release110;

/// <summary>Our writer's output against what tensorizer 1.1.0 writes and reads (serialization.py at 9335202f).</summary>
public class Release110CompatibilityTests
{
    private static readonly byte[] W = TestFiles.Bytes(12, seed: 7);
    private static readonly byte[] B = TestFiles.Bytes(8, seed: 8);

    private static readonly TensorToWrite[] Tensors =
    [
        new(TensorName.Plain("w"), TensorKind.Parameter, TensorDtype.For(TensorElementType.Float16), [2, 3], [W]),
        new(TensorName.Plain("b"), TensorKind.Buffer, TensorDtype.For(TensorElementType.Float32), [2], [B]),
    ];

    [Fact]
    public async Task The_writer_produces_the_bytes_1_1_0_writes_terminator_included()
    {
        using var stream = new MemoryStream();
        await TensorWriter.WriteAsync(stream, Tensors);
        Assert.Equal(Expected(), stream.ToArray());

        var dir = Directory.CreateTempSubdirectory("tensorizer-110-");
        try
        {
            var path = Path.Combine(dir.FullName, "model.tensors");
            await TensorWriter.WriteFileAsync(path, Tensors);
            Assert.Equal(Expected(), await File.ReadAllBytesAsync(path));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_1_1_0_walk_reads_every_tensor_of_our_file()
    {
        var tensors = Release110Reader.ReadAll(Expected());
        Assert.Equal(["w", "b"], tensors.Select(t => t.Name));
        Assert.Equal(["<f2", "<f4"], tensors.Select(t => t.Dtype));
        Assert.Equal([0, 1], tensors.Select(t => (int)t.Kind));
        Assert.Equal([2u, 3u], tensors[0].Shape);
        Assert.Equal(W, tensors[0].Data);
        Assert.Equal(B, tensors[1].Data);
    }

    [Fact]
    public void Without_the_terminator_the_1_1_0_walk_fails_as_users_saw()
    {
        var withoutTerminator = Expected()[..^8];
        var e = Assert.Throws<EndOfStreamException>(() => Release110Reader.ReadAll(withoutTerminator));
        Assert.Contains("unpack requires a buffer of 8 bytes", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The file 1.1.0 writes for these two tensors, laid out by hand: the prologue at 0, a 262144-byte metadata
    /// block at 73, so the first header at 262217; each header is 66 + len(name) + len(dtype) + 4·ndim bytes.
    /// </summary>
    private static byte[] Expected()
    {
        const int wHeader = 262217, wData = wHeader + 78, bHeader = wData + 12, bData = bHeader + 74, end = bData + 8;
        var file = new byte[end + 8]; // then the 8-byte zero header size that ends the walk
        var w = new BinaryWriter(new MemoryStream(file));
        w.Write("|TZR|"u8);
        w.Write(1u);          // version
        w.Write(new byte[32]); // "hash", never filled
        w.Write(20UL);        // slot 41: the data total (1.1.0's _sync_prologue_state overwrites the file size with it)
        w.Write(0UL);         // slot 49: reserved for the data total, never written
        w.Write(2UL);         // tensor count
        w.Write(262144UL);    // metadata block size

        IndexEntry(w, "w", 0, "<f2", [2, 3], wHeader, wData, 12);
        IndexEntry(w, "b", 1, "<f4", [2], bHeader, bData, 8);

        w.Seek(wHeader, SeekOrigin.Begin);
        TensorHeader(w, "w", 0, "<f2", [2, 3], W);
        w.Seek(bHeader, SeekOrigin.Begin);
        TensorHeader(w, "b", 1, "<f4", [2], B);
        Hash(file, wHeader, wData, 12);
        Hash(file, bHeader, bData, 8);
        return file;
    }

    private static void IndexEntry(BinaryWriter w, string name, byte kind, string dtype, uint[] shape, long header, long data, long length)
    {
        w.Write((ushort)name.Length);
        w.Write(System.Text.Encoding.ASCII.GetBytes(name));
        w.Write(kind);
        w.Write((byte)dtype.Length);
        w.Write(System.Text.Encoding.ASCII.GetBytes(dtype));
        w.Write((byte)shape.Length);
        Array.ForEach(shape, w.Write);
        w.Write((ulong)header);
        w.Write((ulong)data);
        w.Write((ulong)length);
    }

    /// <summary>&lt;QHBH name B dtype B dims, then hashes (H size 41, B count 2, BBI crc32, BB32s sha256) and &lt;q length.</summary>
    private static void TensorHeader(BinaryWriter w, string name, byte kind, string dtype, uint[] shape, byte[] data)
    {
        w.Write((ulong)(66 + name.Length + dtype.Length + (4 * shape.Length)));
        w.Write((ushort)0); // module index: write_state_dict's 0
        w.Write(kind);
        w.Write((ushort)name.Length);
        w.Write(System.Text.Encoding.ASCII.GetBytes(name));
        w.Write((byte)dtype.Length);
        w.Write(System.Text.Encoding.ASCII.GetBytes(dtype));
        w.Write((byte)shape.Length);
        Array.ForEach(shape, w.Write);
        w.Write((ushort)41);
        w.Write((byte)2);
        w.Write((byte)0);
        w.Write((byte)4);
        w.Write(0u);
        w.Write((byte)1);
        w.Write((byte)32);
        w.Write(new byte[32]);
        w.Write((long)data.Length);
        w.Write(data);
    }

    /// <summary>CRC32 and SHA-256 of the header (hash values still zero) and the data, stored 46 and 40 bytes before the data.</summary>
    private static void Hash(byte[] file, int header, int data, int length)
    {
        var hashed = file.AsSpan(header, data - header + length);
        var crc = Crc32.HashToUInt32(hashed);
        var sha = SHA256.HashData(hashed);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(data - 8 - 34 - 4), crc);
        sha.CopyTo(file.AsSpan(data - 8 - 32));
    }
}
