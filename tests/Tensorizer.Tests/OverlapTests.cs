using System.Buffers.Binary;
using Tensorizer.Format;

namespace Tensorizer.Tests;

/// <summary>Index entries whose header-through-data ranges overlap are refused, in any version and in any index order.</summary>
public class OverlapTests
{
    [Theory]
    [InlineData(1u)]
    [InlineData(5u)]
    public async Task Refuses_a_header_offset_inside_another_tensor(uint version)
    {
        var file = new RawFileBuilder { Version = version, MetadataSize = 256 }.Add("a", "<f4", [4], TestFiles.Bytes(16)).Add("b", "<f4", [4], TestFiles.Bytes(16)).Build();
        var bHeader = HeaderOffsetSlot(version, 1);

        // b's header and data moved back by 8 bytes: into a's data, still before b's own data.
        Shift(file, bHeader, -8);
        Shift(file, bHeader + 8, -8);
        var e = await Assert.ThrowsAsync<TensorizerFormatException>(() => TestFiles.OpenAsync(file));
        Assert.Contains("overlaps", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Accepts_index_entries_out_of_file_order()
    {
        var a = TestFiles.Bytes(16, seed: 1);
        var b = TestFiles.Bytes(16, seed: 2);
        var file = new RawFileBuilder { MetadataSize = 256 }.Add("a", "<f4", [4], a).Add("b", "<f4", [4], b).Build();

        // Both entries are the same size: swapping them lists b first while the bytes stay in file order.
        var size = EntrySize(1);
        var first = file[73..(73 + size)];
        file.AsSpan(73 + size, size).CopyTo(file.AsSpan(73));
        first.CopyTo(file, 73 + size);

        var loaded = await TestFiles.ReadAllAsync(file, new Tensorizer.Reading.LoadOptions { VerifyHashes = true });
        Assert.Equal(a, loaded["a"]);
        Assert.Equal(b, loaded["b"]);
    }

    /// <summary>An entry here: [u32 entry version,] name "x", kind, "&lt;f4", one u32 dim, three u64 offsets.</summary>
    private static int EntrySize(uint version) => (version >= 5 ? 4 : 0) + 2 + 1 + 1 + 1 + 3 + 1 + 4 + 24;

    /// <summary>Where entry <paramref name="index"/>'s header offset sits.</summary>
    private static int HeaderOffsetSlot(uint version, int index) => 73 + ((index + 1) * EntrySize(version)) - 24;

    private static void Shift(byte[] file, int slot, long by) =>
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(slot), (ulong)((long)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(slot)) + by));
}
