using Tensorizer.Format;
using Tensorizer.Reading;

namespace Tensorizer.Tests;

/// <summary>
/// Format version 5 (tensorizer 2.12): every index entry starts with a u32 entry version; entry version 5 stores the
/// tensor's dims as u64 in the entry and in its header. Files are built byte by byte by <see cref="RawFileBuilder"/>.
/// </summary>
public class VersionFiveTests
{
    private static readonly LoadOptions Verify = new() { VerifyHashes = true, Readers = 3, ChunkSize = 4096 };

    [Fact]
    public async Task Loads_short_and_long_entries_with_verified_hashes()
    {
        var a = TestFiles.Bytes(24, seed: 1);
        var b = TestFiles.Bytes(10000, seed: 2);
        var file = new RawFileBuilder { Version = 5 }
            .Add("a", "<f4", [2, 3], a)
            .AddLong("b", "<f2", [100, 50], b)
            .Add("s", "<i8", [], TestFiles.Bytes(8, seed: 3), kind: 2)
            .Build();

        await using var tensors = await TestFiles.OpenAsync(file);
        Assert.Equal(5, tensors.Header.Version);
        Assert.False(tensors.Index["a"].LongDimensions);
        Assert.True(tensors.Index["b"].LongDimensions);
        Assert.Equal([100L, 50L], tensors.Index["b"].Shape);
        var data = await tensors.ReadBytesAsync(options: Verify);
        Assert.Equal(a, data["a"]);
        Assert.Equal(b, data["b"]);
        Assert.Empty(await tensors.VerifyAsync(Verify));
    }

    [Fact]
    public async Task Reads_a_dimension_of_two_to_the_32_elements()
    {
        // A meta tensor: the shape is real, the data is not stored, so the test needs no 4 GiB.
        const ulong Long = 1UL << 32;
        var file = new RawFileBuilder { Version = 5 }
            .AddLong("huge", "|u1", [Long], [])
            .Add("w", "<f4", [2], TestFiles.Bytes(8))
            .Build();

        await using var tensors = await TestFiles.OpenAsync(file);
        var huge = tensors.Index["huge"];
        Assert.Equal([(long)Long], huge.Shape);
        Assert.True(huge.IsMeta);
        var (header, _) = await tensors.ReadHeaderAsync(huge);
        Assert.Equal([(long)Long], header.Shape);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(2u)]
    [InlineData(4u)]
    [InlineData(6u)]
    public async Task Refuses_unknown_entry_versions(uint entryVersion)
    {
        var file = new RawFileBuilder { Version = 5, EntryVersionOverride = entryVersion }.Add("w", "<f4", [2], TestFiles.Bytes(8)).Build();
        var e = await Assert.ThrowsAsync<TensorizerUnsupportedException>(() => TestFiles.OpenAsync(file));
        Assert.Contains($"entry version {entryVersion}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_a_long_dimension_above_the_signed_range()
    {
        var file = new RawFileBuilder { Version = 5 }.AddLong("w", "|u1", [1UL << 63], []).Build();
        var e = await Assert.ThrowsAsync<TensorizerFormatException>(() => TestFiles.OpenAsync(file));
        Assert.Contains("too large", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_long_dimensions_whose_product_overflows()
    {
        var file = new RawFileBuilder { Version = 5 }.AddLong("w", "<f4", [1UL << 40, 1UL << 40], []).Build();
        var e = await Assert.ThrowsAsync<TensorizerFormatException>(() => TestFiles.OpenAsync(file));
        Assert.Contains("overflows", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_a_header_whose_dims_are_short_when_its_entry_says_long()
    {
        // Same bytes, entry versions forced to 1: the index then reads u32 dims and misparses, or the headers disagree.
        var file = new RawFileBuilder { Version = 5, EntryVersionOverride = 1 }.AddLong("w", "<f4", [2], TestFiles.Bytes(8)).Build();
        await Assert.ThrowsAnyAsync<TensorizerException>(async () =>
        {
            await using var tensors = await TestFiles.OpenAsync(file);
            await tensors.ReadBytesAsync();
        });
    }

    [Fact]
    public async Task Refuses_a_truncated_version_5_file_at_every_length()
    {
        var file = new RawFileBuilder { Version = 5, MetadataSize = 128 }
            .Add("a", "<f4", [2], TestFiles.Bytes(8))
            .AddLong("b", "<f4", [3], TestFiles.Bytes(12))
            .Build();
        for (var length = 0; length < file.Length; length++)
        {
            await Assert.ThrowsAnyAsync<TensorizerException>(async () =>
            {
                await using var tensors = await TestFiles.OpenAsync(file[..length]);
                await tensors.ReadBytesAsync();
            });
        }
    }
}
