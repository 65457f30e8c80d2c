using System.Buffers.Binary;
using Tensorizer.Format;
using Tensorizer.Reading;
using Tensorizer.Writing;

namespace Tensorizer.Tests;

/// <summary>Every byte of a file accounted for: what opening alone cannot see (a lowered count, appended bytes).</summary>
public class FileAccountingTests
{
    private static RawFileBuilder ThreeTensors() => new RawFileBuilder()
        .Add("a", "<f4", [4], TestFiles.Bytes(16, seed: 1))
        .Add("b", "<f2", [2, 2], TestFiles.Bytes(8, seed: 2))
        .Add("lm_head.bias", "<f4", [3], TestFiles.Bytes(12, seed: 3));

    private static byte[] WithTerminator(byte[] file) => [.. file, .. new byte[8]];

    [Fact]
    public async Task Our_writer_output_is_whole_and_ends_with_the_terminator()
    {
        using var stream = new MemoryStream();
        await TensorWriter.WriteAsync(stream, [TensorToWrite.StateDict("a", TensorElementType.Float32, [4], TestFiles.Bytes(16))]);
        var account = await AccountAsync(stream.ToArray());
        Assert.True(account.IsWhole, string.Join("; ", account.Unaccounted));
        Assert.True(account.HasTerminator);
    }

    [Fact]
    public async Task A_file_without_the_terminator_is_whole_and_loads()
    {
        var file = ThreeTensors().Build(); // as this project wrote files before the terminator
        var account = await AccountAsync(file);
        Assert.True(account.IsWhole, string.Join("; ", account.Unaccounted));
        Assert.False(account.HasTerminator);
        Assert.Equal(3, (await TestFiles.ReadAllAsync(file, new LoadOptions { VerifyHashes = true })).Count);
    }

    [Fact]
    public async Task A_tensor_count_one_too_low_is_found_and_names_the_dropped_tensor()
    {
        var builder = ThreeTensors();
        builder.CountOverride = 2;
        var file = WithTerminator(builder.Build());

        // Opening alone is fooled: two tensors, each valid on its own.
        await using (var opened = await TestFiles.OpenAsync(file))
        {
            Assert.Equal(2, opened.Index.Count);
        }

        var account = await AccountAsync(file);
        Assert.False(account.HasTerminator);
        Assert.Collection(
            account.Unaccounted,
            slot => Assert.Equal((41L, "the header's data-size slot holds 36, but the 2 indexed tensors hold 24 bytes of data"), (slot.Offset, slot.Reason)),
            padding => Assert.Contains("non-zero bytes after the 2 entries the header counts", padding.Reason, StringComparison.Ordinal),
            tail =>
            {
                Assert.Contains("after the last indexed tensor 'b'", tail.Reason, StringComparison.Ordinal);
                Assert.Contains("a header for a tensor 'lm_head.bias' that the index does not list", tail.Reason, StringComparison.Ordinal);
                Assert.Equal(file.Length, tail.Offset + tail.Length);
            });
        var e = Assert.Throws<TensorizerLayoutException>(account.ThrowIfNotWhole);
        Assert.IsAssignableFrom<TensorizerFormatException>(e);
        Assert.Equal(3, e.Unaccounted.Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Bytes_appended_after_the_last_tensor_are_found_and_the_tensors_still_load(bool terminated)
    {
        var whole = ThreeTensors().Build();
        var file = (byte[])[.. terminated ? WithTerminator(whole) : whole, .. TestFiles.Bytes(1 << 20, seed: 9)];

        var account = await AccountAsync(file);
        var garbage = Assert.Single(account.Unaccounted);
        Assert.Equal(terminated, account.HasTerminator);
        Assert.Equal(1 << 20, garbage.Length);
        Assert.Equal(file.Length - (1 << 20), garbage.Offset);
        Assert.Contains(terminated ? "after the terminator" : "neither the terminator nor a tensor", garbage.Reason, StringComparison.Ordinal);
        Assert.Equal(3, (await TestFiles.ReadAllAsync(file, new LoadOptions { VerifyHashes = true })).Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public async Task A_truncated_terminator_is_found(int length)
    {
        var whole = ThreeTensors().Build();
        var account = await AccountAsync([.. whole, .. new byte[length]]);
        var truncated = Assert.Single(account.Unaccounted);
        Assert.Equal((whole.Length, length), (truncated.Offset, truncated.Length));
        Assert.Contains($"truncated terminator after the last indexed tensor 'lm_head.bias': {length} of 8 zero bytes", truncated.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gap_between_tensors_is_found_and_an_overlap_refused()
    {
        var file = WithTerminator(ThreeTensors().Build());
        var entries = IndexOffsets(file);

        // The last tensor's offsets 4 bytes late: 4 bytes lie between b and it.
        var gapped = (byte[])file.Clone();
        var (cHeaderAt, cHeader, cDataAt, cData) = entries[2];
        BinaryPrimitives.WriteUInt64LittleEndian(gapped.AsSpan(cHeaderAt), (ulong)(cHeader + 4));
        BinaryPrimitives.WriteUInt64LittleEndian(gapped.AsSpan(cDataAt), (ulong)(cData + 4));
        var account = await AccountAsync(gapped);
        Assert.Contains(account.Unaccounted, u => (u.Offset, u.Length) == (cHeader, 4) && u.Reason.Contains("between the data of 'b' and the header of 'lm_head.bias'", StringComparison.Ordinal));

        // b's header pointed 4 bytes early: it overlaps a's data, which opening the file already refuses.
        var overlapped = (byte[])file.Clone();
        var (bHeaderAt, bHeader, _, _) = entries[1];
        BinaryPrimitives.WriteUInt64LittleEndian(overlapped.AsSpan(bHeaderAt), (ulong)(bHeader - 4));
        var refused = await Assert.ThrowsAsync<TensorizerFormatException>(() => AccountAsync(overlapped));
        Assert.Contains("'b'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("overlaps tensor 'a'", refused.Message, StringComparison.Ordinal);
    }

    private static async Task<FileAccount> AccountAsync(byte[] file)
    {
        await using var opened = await TestFiles.OpenAsync(file);
        return await FileAccounting.CheckAsync(opened);
    }

    /// <summary>Where each index entry's header and data offsets are stored, and their values.</summary>
    private static List<(int HeaderAt, long Header, int DataAt, long Data)> IndexOffsets(byte[] file)
    {
        var entries = new List<(int, long, int, long)>();
        var at = 73;
        for (var i = 0; i < (int)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(57)); i++)
        {
            at += 2 + BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(at)) + 1; // name, kind
            at += 1 + file[at];                                                        // dtype
            at += 1 + (4 * file[at]);                                                  // shape
            entries.Add((at, (long)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(at)), at + 8, (long)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(at + 8))));
            at += 24;
        }

        return entries;
    }
}
