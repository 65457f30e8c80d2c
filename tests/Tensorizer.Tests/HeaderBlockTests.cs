using System.Security.Cryptography;
using Tensorizer.Crypto;
using Tensorizer.Format;
using Tensorizer.Reading;

namespace Tensorizer.Tests;

/// <summary>
/// Version 5 as upstream's 3.0 development branch writes it (<c>HEADERS_AT_TOP_TENSORIZER_VERSION</c>, branch
/// <c>v3.0.0-dev</c>): every tensor header after the index, zeros to a 4096-byte boundary, then the data. Files are
/// laid out byte by byte by <see cref="RawFileBuilder"/> and <see cref="EncryptedRawFile"/>.
/// </summary>
public class HeaderBlockTests
{
    private static readonly LoadOptions Verify = new() { VerifyHashes = true, Readers = 3, ChunkSize = 4096 };

    private static RawFileBuilder ThreeTensors() => new RawFileBuilder { Version = 5, HeaderBlock = true, MetadataSize = 512 }
        .Add("a", "<f4", [2, 3], TestFiles.Bytes(24, seed: 1))
        .Add("b", "<f2", [100, 50], TestFiles.Bytes(10_000, seed: 2))
        .Add("s", "<i8", [], TestFiles.Bytes(8, seed: 3), kind: 2);

    [Fact]
    public async Task Loads_and_verifies_headers_laid_out_before_the_data()
    {
        var file = ThreeTensors().Build();

        await using var tensors = await TestFiles.OpenAsync(file);
        Assert.True(tensors.Index.HeaderBlock);
        var b = tensors.Index["b"];
        Assert.True(b.InHeaderBlock);
        Assert.False(b.LongDimensions);
        Assert.True(b.HeaderEnd <= tensors.Index["s"].HeaderOffset, "headers follow one another");
        Assert.Equal(0, tensors.Index.Min(e => e.DataOffset) % 4096);

        var data = await tensors.ReadBytesAsync(options: Verify);
        Assert.Equal(TestFiles.Bytes(10_000, seed: 2), data["b"]);
        Assert.Equal(TestFiles.Bytes(8, seed: 3), data["s"]);
        Assert.Empty(await tensors.VerifyAsync(Verify));
        var account = await FileAccounting.CheckAsync(tensors);
        Assert.True(account.IsWhole, string.Join("; ", account.Unaccounted));
        Assert.True(account.HasTerminator);
    }

    [Fact]
    public async Task Index_order_slack_and_aligned_tensors_are_as_upstream_allows()
    {
        var file = new RawFileBuilder { Version = 5, HeaderBlock = true, MetadataSize = 4096, HeaderBlockSlack = 3 * 1024, AlignTensors = true, ReverseIndex = true }
            .Add("x", "|u1", [3], TestFiles.Bytes(3, seed: 4))
            .Add("y", "<f4", [5], TestFiles.Bytes(20, seed: 5))
            .Build();

        await using var tensors = await TestFiles.OpenAsync(file);
        Assert.Equal("y", tensors.Index[0].Name.Text);
        Assert.Equal(0, tensors.Index["y"].DataOffset % 8);
        Assert.Equal(TestFiles.Bytes(20, seed: 5), (await tensors.ReadBytesAsync(options: Verify))["y"]);
        var account = await FileAccounting.CheckAsync(tensors);
        Assert.True(account.IsWhole, string.Join("; ", account.Unaccounted));
    }

    [Fact]
    public async Task A_header_hashed_with_its_hash_section_fails_verification()
    {
        // The header-block rule hashes the header without its hash section; tampering one data byte must show.
        var file = ThreeTensors().Build();
        await using (var tensors = await TestFiles.OpenAsync(file))
        {
            file[(int)tensors.Index["b"].DataOffset + 100] ^= 1;
        }

        await using var tampered = await TestFiles.OpenAsync(file);
        var mismatches = await tampered.VerifyAsync(Verify);
        Assert.Equal(["b", "b"], mismatches.Select(m => m.TensorName));
    }

    [Fact]
    public async Task Refuses_headers_that_overlap()
    {
        var plain = ThreeTensors().Build();
        long secondHeader;
        await using (var tensors = await TestFiles.OpenAsync(plain))
        {
            secondHeader = tensors.Index["b"].HeaderOffset;
        }

        var builder = ThreeTensors();
        builder.HeaderOffsetOverrides[2] = secondHeader + 8; // 's' claims a header inside 'b''s: what it reads there is no header
        var e = await Assert.ThrowsAnyAsync<TensorizerFormatException>(() => TestFiles.OpenAsync(builder.Build()));
        Assert.Contains("'s'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_two_tensors_sharing_one_header()
    {
        var plain = ThreeTensors().Build();
        long firstHeader;
        await using (var tensors = await TestFiles.OpenAsync(plain))
        {
            firstHeader = tensors.Index["a"].HeaderOffset;
        }

        var builder = ThreeTensors();
        builder.HeaderOffsetOverrides[1] = firstHeader;
        var e = await Assert.ThrowsAsync<TensorizerFormatException>(() => TestFiles.OpenAsync(builder.Build()));
        Assert.Contains("overlaps", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_a_header_offset_among_the_data()
    {
        var builder = ThreeTensors();
        builder.HeaderOffsetOverrides[0] = 8192; // 'a''s header where data lives
        var e = await Assert.ThrowsAsync<TensorizerFormatException>(() => TestFiles.OpenAsync(builder.Build()));
        Assert.Contains("'a'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_a_header_size_past_the_header_block()
    {
        var file = ThreeTensors().Build();
        await using (var tensors = await TestFiles.OpenAsync(file))
        {
            BitConverter.TryWriteBytes(file.AsSpan((int)tensors.Index["s"].HeaderOffset), 1UL << 20);
        }

        var e = await Assert.ThrowsAsync<TensorizerFormatException>(() => TestFiles.OpenAsync(file));
        Assert.Contains("'s'", e.Message, StringComparison.Ordinal);
        Assert.Contains("header block", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finds_bytes_hidden_in_the_padding()
    {
        var file = ThreeTensors().Build();
        long padding;
        await using (var tensors = await TestFiles.OpenAsync(file))
        {
            padding = tensors.Index.Max(e => e.HeaderEnd) + 10;
        }

        file[padding] = 0x5A;
        await using var opened = await TestFiles.OpenAsync(file);
        var account = await FileAccounting.CheckAsync(opened);
        var found = Assert.Single(account.Unaccounted);
        Assert.Contains("not zero padding", found.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_a_truncated_file_at_every_length()
    {
        var file = new RawFileBuilder { Version = 5, HeaderBlock = true, MetadataSize = 128 }
            .Add("a", "<f4", [2], TestFiles.Bytes(8))
            .Add("b", "<f4", [3], TestFiles.Bytes(12))
            .Build();
        var whole = file.Length - 8; // the terminator may be cut; no tensor byte may
        for (var length = 0; length < whole; length++)
        {
            await Assert.ThrowsAnyAsync<TensorizerException>(async () =>
            {
                await using var tensors = await TestFiles.OpenAsync(file[..length]);
                await tensors.ReadBytesAsync();
            });
        }
    }

    [Fact]
    public async Task Decrypts_an_encrypted_header_block_file()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var a = TestFiles.Bytes(10_000, seed: 6);
        var b = TestFiles.Bytes(64, seed: 7);
        var file = new EncryptedRawFile(key) { HeaderBlock = true }.Add("a", a).Add("b", b).Build();
        var options = Verify with { Decryption = DecryptionKey.FromKey(key) };

        var tensors = await TestFiles.ReadAllAsync(file, options);

        Assert.Equal(a, tensors["a"]);
        Assert.Equal(b, tensors["b"]);
        await using var opened = await TestFiles.OpenAsync(file);
        Assert.True(opened.Index.HeaderBlock);
        Assert.Empty(await opened.VerifyAsync(options));
        var wrong = await Assert.ThrowsAsync<TensorDecryptionException>(
            () => TestFiles.ReadAllAsync(file, Verify with { Decryption = DecryptionKey.FromKey(RandomNumberGenerator.GetBytes(32)) }));
        Assert.Equal(DecryptionFailure.AuthenticationFailed, wrong.Failure);
    }

    [Fact]
    public async Task A_released_version_5_file_is_not_taken_for_a_header_block()
    {
        var file = new RawFileBuilder { Version = 5 }.Add("a", "<f4", [2], TestFiles.Bytes(8)).Build();
        await using var tensors = await TestFiles.OpenAsync(file);
        Assert.False(tensors.Index.HeaderBlock);
        Assert.Empty(await tensors.VerifyAsync(Verify));
        Assert.True((await FileAccounting.CheckAsync(tensors)).IsWhole);
    }
}
