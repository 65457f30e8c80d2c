using System.Buffers.Binary;
using System.Text;
using Tensorizer.Format;
using Tensorizer.Reading;
using Tensorizer.Sources;

namespace Tensorizer.Tests;

/// <summary>
/// Hostile safetensors headers and shard indexes: each is refused with a typed error that names the file (and the
/// tensor), before any tensor data is read or any memory sized by the header is allocated.
/// </summary>
public sealed class SafetensorsHeaderTests
{
    private const string Good = """{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[16,24]}}""";

    /// <summary>u64 length, the JSON, then <paramref name="dataLength"/> bytes counting up.</summary>
    internal static byte[] Raw(string json, long dataLength, ulong? declaredLength = null)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        for (var i = 0; i < dataLength; i++)
        {
            bytes[8 + header.Length + i] = (byte)i;
        }

        return bytes;
    }

    private static async Task<SafetensorsCheckpoint> OpenAsync(byte[] bytes) =>
        await SafetensorsCheckpoint.OpenAsync([new MemoryRangeSource(bytes, "hostile.safetensors")], index: null, "hostile.safetensors", ownsSources: true);

    [Fact]
    public async Task A_well_formed_header_lists_its_tensors_in_data_order_with_absolute_offsets()
    {
        var bytes = Raw(Good, 24);
        await using var checkpoint = await OpenAsync(bytes);
        var dataStart = bytes.Length - 24;
        Assert.Equal(["a", "b"], checkpoint.Tensors.Select(t => t.Name.Text));
        Assert.Equal((TensorElementType.Float32, dataStart, 16L), (checkpoint.Tensors[0].Dtype.ElementType, checkpoint.Tensors[0].DataOffset, checkpoint.Tensors[0].DataLength));
        Assert.Equal((TensorElementType.BFloat16, dataStart + 16L, 8L), (checkpoint.Tensors[1].Dtype.ElementType, checkpoint.Tensors[1].DataOffset, checkpoint.Tensors[1].DataLength));
        Assert.Equal("pt", checkpoint.Headers[0].Metadata["format"]);
        var read = await checkpoint.ReadBytesAsync();
        Assert.Equal(bytes[dataStart..(dataStart + 16)], read["a"]);
        Assert.Equal(bytes[(dataStart + 16)..], read["b"]);
    }

    public static TheoryData<string, byte[], Type, string> Hostile => new()
    {
        { "shorter than the length prefix", [1, 2, 3], typeof(TensorizerFormatException), "truncated" },
        { "a header length past the file", Raw(Good, 24, declaredLength: 10_000), typeof(TensorizerFormatException), "truncated" },
        { "a huge header length", Raw(Good, 24, declaredLength: ulong.MaxValue), typeof(TensorizerFormatException), "limit" },
        { "a zero header length", Raw(Good, 24, declaredLength: 0), typeof(TensorizerFormatException), "empty" },
        { "not JSON", Raw("{\"a\": [1, 2", 0), typeof(TensorizerFormatException), "not valid JSON" },
        { "a JSON array", Raw("[1, 2]", 0), typeof(TensorizerFormatException), "not an object" },
        { "a duplicate name", Raw("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}""", 2), typeof(TensorizerFormatException), "twice" },
        { "an unknown dtype", Raw("""{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}""", 16), typeof(TensorizerUnsupportedException), "F128" },
        { "no dtype", Raw("""{"a":{"shape":[1],"data_offsets":[0,1]}}""", 1), typeof(TensorizerFormatException), "no dtype" },
        { "a negative dimension", Raw("""{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}""", 1), typeof(TensorizerFormatException), "non-negative" },
        { "a fractional dimension", Raw("""{"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}}""", 1), typeof(TensorizerFormatException), "integers" },
        { "a shape that overflows", Raw("""{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}""", 8), typeof(TensorizerFormatException), "larger than any file" },
        { "a length that disagrees with dtype and shape", Raw("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", 4), typeof(TensorizerLayoutException), "needs 8 bytes" },
        { "offsets past the file", Raw("""{"a":{"dtype":"U8","shape":[64],"data_offsets":[0,64]}}""", 8), typeof(TensorizerLayoutException), "past the" },
        { "offsets reversed", Raw("""{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}""", 4), typeof(TensorizerLayoutException), "begin <= end" },
        { "three offsets", Raw("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}""", 2), typeof(TensorizerLayoutException), "[begin, end]" },
        { "overlapping tensors", Raw("""{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}""", 6), typeof(TensorizerLayoutException), "overlaps" },
        { "a hole between tensors", Raw("""{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}}""", 6), typeof(TensorizerLayoutException), "belong to no tensor" },
        { "bytes after the last tensor", Raw("""{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}""", 6), typeof(TensorizerLayoutException), "after the last tensor" },
        { "metadata that is not strings", Raw("""{"__metadata__":{"n":1}}""", 0), typeof(TensorizerFormatException), "__metadata__" },
        { "a tensor that is not an object", Raw("""{"a":[0,1]}""", 0), typeof(TensorizerFormatException), "not an object" },
        { "too many dimensions", Raw("{\"a\":{\"dtype\":\"U8\",\"shape\":[" + string.Join(',', Enumerable.Repeat(1, 70)) + "],\"data_offsets\":[0,1]}}", 1), typeof(TensorizerFormatException), "integers" },
        { "nesting too deep", Raw("{\"a\":" + new string('[', 64) + new string(']', 64) + "}", 0), typeof(TensorizerFormatException), "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task A_hostile_header_is_refused_with_a_typed_error_naming_the_file(string why, byte[] bytes, Type expected, string fragment)
    {
        var e = await Assert.ThrowsAnyAsync<TensorizerException>(() => OpenAsync(bytes));
        Assert.True(expected == e.GetType(), $"{why}: {e.GetType().Name}: {e.Message}");
        Assert.Contains("hostile.safetensors", e.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Safetensors_refuse_to_verify_hashes_or_decrypt_rather_than_pretend_to()
    {
        await using var checkpoint = await OpenAsync(Raw(Good, 24));
        var hashes = await Assert.ThrowsAsync<TensorizerUnsupportedException>(() => checkpoint.ReadBytesAsync(new LoadOptions { VerifyHashes = true }));
        Assert.Contains("no hashes", hashes.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<Crypto.TensorDecryptionException>(() => checkpoint.ReadBytesAsync(new LoadOptions { Decryption = Crypto.DecryptionKey.FromKey(new byte[32]) }));
    }

    public static TheoryData<string, string> HostileIndexes => new()
    {
        { "not JSON", "{\"weight_map\": " },
        { "no weight_map", """{"metadata":{}}""" },
        { "an empty weight_map", """{"weight_map":{}}""" },
        { "a shard that is not a string", """{"weight_map":{"a":1}}""" },
        { "a shard escaping the folder", """{"weight_map":{"a":"../secret.safetensors"}}""" },
        { "an absolute shard", """{"weight_map":{"a":"/etc/passwd"}}""" },
        { "a backslash", """{"weight_map":{"a":"..\\secret.safetensors"}}""" },
        { "a URL", """{"weight_map":{"a":"http://elsewhere/x.safetensors"}}""" },
        { "a duplicate tensor", """{"weight_map":{"a":"x.safetensors","a":"y.safetensors"}}""" },
    };

    [Theory]
    [MemberData(nameof(HostileIndexes))]
    public async Task A_hostile_shard_index_is_refused_before_any_shard_is_opened(string why, string json)
    {
        using var folder = new TempDirectory("hostile-index-");
        await File.WriteAllTextAsync(folder.File(SafetensorsIndex.FileName), json);
        var e = await Assert.ThrowsAsync<TensorizerFormatException>(() => SafetensorsCheckpoint.OpenAsync(folder.File(SafetensorsIndex.FileName)));
        Assert.True(e.Message.Contains(SafetensorsIndex.FileName, StringComparison.Ordinal), $"{why}: {e.Message}");
    }

    [Fact]
    public async Task An_index_that_disagrees_with_its_shards_is_refused_naming_the_tensor()
    {
        using var folder = new TempDirectory("disagreeing-index-");
        await File.WriteAllBytesAsync(folder.File("one.safetensors"), Raw("""{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}""", 2));
        await File.WriteAllBytesAsync(folder.File("two.safetensors"), Raw("""{"b":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}""", 2));
        var index = folder.File(SafetensorsIndex.FileName);

        async Task<string> RefusalAsync<T>(string json)
            where T : Exception
        {
            await File.WriteAllTextAsync(index, json);
            return (await Assert.ThrowsAsync<T>(() => SafetensorsCheckpoint.OpenAsync(index))).Message;
        }

        Assert.Contains("'missing.safetensors'", await RefusalAsync<TensorizerFormatException>("""{"weight_map":{"a":"one.safetensors","b":"missing.safetensors"}}"""), StringComparison.Ordinal);
        Assert.Contains("maps tensor 'c'", await RefusalAsync<TensorizerLayoutException>("""{"weight_map":{"a":"one.safetensors","b":"two.safetensors","c":"two.safetensors"}}"""), StringComparison.Ordinal);
        Assert.Contains("holds tensor 'b', which the index maps to 'one.safetensors'", await RefusalAsync<TensorizerLayoutException>("""{"weight_map":{"a":"one.safetensors","b":"one.safetensors","x":"two.safetensors"}}"""), StringComparison.Ordinal);
        Assert.Contains("holds tensor 'b', which the index does not map", await RefusalAsync<TensorizerLayoutException>("""{"weight_map":{"a":"one.safetensors","x":"two.safetensors"}}"""), StringComparison.Ordinal);

        await File.WriteAllTextAsync(index, """{"metadata":{"total_size":4},"weight_map":{"a":"one.safetensors","b":"two.safetensors"}}""");
        await using var checkpoint = await SafetensorsCheckpoint.OpenAsync(index);
        Assert.Equal(2, checkpoint.Shards.Count);
        var read = await checkpoint.ReadBytesAsync();
        Assert.Equal([0, 1], read["a"]);
        Assert.Equal([0, 1], read["b"]);
    }
}
