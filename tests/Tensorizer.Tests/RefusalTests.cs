using Tensorizer.Format;

namespace Tensorizer.Tests;

/// <summary>Well-formed files that use what this library refuses, and malformed files: each a typed, clear error.</summary>
public class RefusalTests
{
    private static RawFileBuilder OneTensor(uint version = 1) => new RawFileBuilder { Version = version }.Add("w", "<f4", [2], TestFiles.Bytes(8));

    [Theory]
    [InlineData(3u, 0)]
    [InlineData(4u, 1)]
    public async Task Encrypted_files_open_but_their_headers_need_crypt_info(uint version, byte flag)
    {
        // Version 3, or 4 with flag bit 0: headers carry a crypt info block; this plain header has none where it should be.
        var builder = OneTensor(version);
        builder.Flags[0] = flag;
        await using var file = await TestFiles.OpenAsync(builder.Build());
        Assert.True(file.Header.HasCryptInfo);
        await Assert.ThrowsAsync<TensorizerFormatException>(() => file.ReadHeaderAsync(file.Index["w"]));
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(0, 0x80)]
    [InlineData(31, 1)]
    public async Task Refuses_unknown_feature_flags(int flagByte, byte value)
    {
        var builder = OneTensor(4);
        builder.Flags[flagByte] = value;
        var e = await Assert.ThrowsAsync<TensorizerUnsupportedException>(() => TestFiles.OpenAsync(builder.Build()));
        Assert.Contains("feature flags", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(6u)]
    [InlineData(uint.MaxValue)]
    public async Task Refuses_unknown_versions(uint version)
    {
        var e = await Assert.ThrowsAsync<TensorizerUnsupportedException>(() => TestFiles.OpenAsync(OneTensor(version).Build()));
        Assert.Contains($"version {version}", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(">f4")]
    [InlineData(">V2\0torch.bfloat16")]
    public async Task Refuses_big_endian_dtypes(string dtype)
    {
        var file = new RawFileBuilder().Add("w", dtype, [1], TestFiles.Bytes(4)).Build();
        var e = await Assert.ThrowsAsync<TensorizerUnsupportedException>(() => TestFiles.OpenAsync(file));
        Assert.Contains("big-endian", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<f3")]
    [InlineData("<V2\0torch.qint8")]
    [InlineData("O")]
    public async Task Refuses_unknown_dtypes(string dtype)
    {
        var file = new RawFileBuilder().Add("w", dtype, [1], TestFiles.Bytes(1)).Build();
        await Assert.ThrowsAsync<TensorizerUnsupportedException>(() => TestFiles.OpenAsync(file));
    }

    [Fact]
    public async Task Refuses_an_empty_index_as_upstream()
    {
        var file = new RawFileBuilder().Build();
        var e = await Assert.ThrowsAsync<TensorizerFormatException>(() => TestFiles.OpenAsync(file));
        Assert.Equal("Tensor index in the file is empty.", e.Message);
    }

    [Fact]
    public async Task Refuses_a_wrong_magic()
    {
        var file = OneTensor().Build();
        file[1] = (byte)'X';
        var e = await Assert.ThrowsAsync<TensorizerFormatException>(() => TestFiles.OpenAsync(file));
        Assert.Contains("magic", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_duplicate_names()
    {
        var file = new RawFileBuilder().Add("w", "|u1", [1], [1]).Add("w", "|u1", [1], [2]).Build();
        var e = await Assert.ThrowsAsync<TensorizerFormatException>(() => TestFiles.OpenAsync(file));
        Assert.Contains("more than once", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_a_shape_whose_product_overflows()
    {
        var file = new RawFileBuilder().Add("w", "<f8", [uint.MaxValue, uint.MaxValue, 4], []).Build();
        var e = await Assert.ThrowsAsync<TensorizerFormatException>(() => TestFiles.OpenAsync(file));
        Assert.Contains("overflows", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_a_count_the_metadata_block_cannot_hold()
    {
        var file = new RawFileBuilder { CountOverride = ulong.MaxValue }.Add("w", "|u1", [1], [1]).Build();
        await Assert.ThrowsAsync<TensorizerFormatException>(() => TestFiles.OpenAsync(file));
    }

    [Fact]
    public async Task Refuses_a_name_length_past_the_metadata_block()
    {
        var builder = new RawFileBuilder { MetadataSize = 64 }.Add("w", "<f4", [2], TestFiles.Bytes(8));
        var small = builder.Build();
        small[73] = 0xFF; // the first entry's name length, far past the 64-byte block
        var e = await Assert.ThrowsAsync<TensorizerFormatException>(() => TestFiles.OpenAsync(small));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_data_past_the_end_of_the_file()
    {
        var file = OneTensor().Build();
        var e = await Assert.ThrowsAsync<TensorizerFormatException>(() => TestFiles.OpenAsync(file[..^1]));
        Assert.Contains("past the end", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flipped_data_byte_fails_verification_naming_the_tensor_and_hash()
    {
        var file = new RawFileBuilder().Add("a", "|u1", [4], [1, 2, 3, 4]).Add("b", "|u1", [4], [5, 6, 7, 8]).Build();
        file[^1] ^= 0x40;

        var e = await Assert.ThrowsAsync<TensorHashMismatchException>(
            () => TestFiles.ReadAllAsync(file, new Reading.LoadOptions { VerifyHashes = true }));
        Assert.Equal("b", e.TensorName);
        Assert.Contains("'b'", e.Message, StringComparison.Ordinal);

        await using var tensors = await TestFiles.OpenAsync(file);
        var mismatches = await tensors.VerifyAsync();
        Assert.Equal(["b", "b"], mismatches.Select(m => m.TensorName));
        Assert.Equal(["crc32", "sha256"], mismatches.Select(m => m.HashName).Order());

        // Without verification the bytes load as stored.
        Assert.Equal(8 ^ 0x40, (await TestFiles.ReadAllAsync(file))["b"][3]);
    }

    [Fact]
    public async Task A_header_that_disagrees_with_the_index_is_refused()
    {
        var file = OneTensor().Build();
        var headerStart = 73 + (256 * 1024);
        file[headerStart + 8 + 2 + 1 + 2] = (byte)'v'; // the name inside the tensor header

        var e = await Assert.ThrowsAsync<TensorizerFormatException>(() => TestFiles.ReadAllAsync(file));
        Assert.Contains("disagrees with the index", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Truncation_at_every_offset_is_a_format_error()
    {
        var file = new RawFileBuilder { MetadataSize = 200 }.Add("w", "<f2", [3], TestFiles.Bytes(6)).Add("b", "|u1", [2], [1, 2]).Build();
        for (var length = 0; length < file.Length; length++)
        {
            await Assert.ThrowsAsync<TensorizerFormatException>(() => TestFiles.ReadAllAsync(file[..length]));
        }
    }
}
