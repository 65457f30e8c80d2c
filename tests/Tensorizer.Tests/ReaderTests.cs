using System.Text;
using Tensorizer.Format;
using Tensorizer.Reading;

namespace Tensorizer.Tests;

/// <summary>Reads files built byte by byte from the format description, one per version and dtype family.</summary>
public class ReaderTests
{
    [Fact]
    public async Task Reads_a_tensorizer_1_1_0_file_ignoring_its_size_slots()
    {
        var weight = TestFiles.Bytes(4 * 3 * 2);
        var bias = TestFiles.Bytes(3 * 2, seed: 2);
        // 1.1.0 leaves the data total in the "file size" slot at offset 41; it must not be trusted.
        var file = new RawFileBuilder { Version = 1, SizeSlot = 12345 }
            .Add("transformer.h.0.mlp.fc_in.weight", "<f2", [4, 3], weight)
            .Add("transformer.h.0.mlp.fc_in.bias", "<f2", [3], bias)
            .Build();

        await using var tensors = await TestFiles.OpenAsync(file);
        Assert.Equal(1, tensors.Header.Version);
        Assert.Equal(2, tensors.Index.Count);
        var entry = tensors.Index["transformer.h.0.mlp.fc_in.weight"];
        Assert.Equal(TensorKind.Parameter, entry.Kind);
        Assert.Equal(TensorElementType.Float16, entry.Dtype.ElementType);
        Assert.Equal([4L, 3L], entry.Shape);
        Assert.Equal(73 + (256 * 1024), entry.HeaderOffset);

        var data = await tensors.ReadBytesAsync(options: new LoadOptions { VerifyHashes = true });
        Assert.Equal(weight, data["transformer.h.0.mlp.fc_in.weight"]);
        Assert.Equal(bias, data["transformer.h.0.mlp.fc_in.bias"]);
    }

    [Theory]
    [InlineData("|b1", TensorElementType.Bool, 1)]
    [InlineData("|u1", TensorElementType.UInt8, 1)]
    [InlineData("|i1", TensorElementType.Int8, 1)]
    [InlineData("<i2", TensorElementType.Int16, 2)]
    [InlineData("<u2", TensorElementType.UInt16, 2)]
    [InlineData("<i4", TensorElementType.Int32, 4)]
    [InlineData("<u4", TensorElementType.UInt32, 4)]
    [InlineData("<i8", TensorElementType.Int64, 8)]
    [InlineData("<u8", TensorElementType.UInt64, 8)]
    [InlineData("<f2", TensorElementType.Float16, 2)]
    [InlineData("<f4", TensorElementType.Float32, 4)]
    [InlineData("<f8", TensorElementType.Float64, 8)]
    [InlineData("<c8", TensorElementType.Complex64, 8)]
    [InlineData("<c16", TensorElementType.Complex128, 16)]
    public async Task Reads_every_numpy_dtype_in_a_version_1_file(string dtype, TensorElementType type, int size)
    {
        var data = TestFiles.Bytes(5 * size);
        var file = new RawFileBuilder().Add("t", dtype, [5], data, kind: 2).Build();

        await using var tensors = await TestFiles.OpenAsync(file);
        var entry = tensors.Index["t"];
        Assert.Equal(type, entry.Dtype.ElementType);
        Assert.Equal(TensorKind.StateDict, entry.Kind);
        Assert.Equal(data, (await tensors.ReadBytesAsync(options: new LoadOptions { VerifyHashes = true }))["t"]);
    }

    [Theory]
    [InlineData("<V2\0torch.bfloat16", TensorElementType.BFloat16, 2)]
    [InlineData("<V4\0torch.complex32", TensorElementType.Complex32, 4)]
    [InlineData("|V1\0torch.float8_e4m3fn", TensorElementType.Float8E4M3FN, 1)]
    [InlineData("|V1\0torch.float8_e5m2", TensorElementType.Float8E5M2, 1)]
    [InlineData("|V1\0torch.float8_e4m3fnuz", TensorElementType.Float8E4M3FNUZ, 1)]
    [InlineData("|V1\0torch.float8_e5m2fnuz", TensorElementType.Float8E5M2FNUZ, 1)]
    public async Task Reads_opaque_dtypes_in_a_version_2_file(string dtype, TensorElementType type, int size)
    {
        var data = TestFiles.Bytes(6 * size);
        var file = new RawFileBuilder { Version = 2 }.Add("w", dtype, [2, 3], data).Build();

        await using var tensors = await TestFiles.OpenAsync(file);
        Assert.True(tensors.Index["w"].Dtype.IsOpaque);
        Assert.Equal(type, tensors.Index["w"].Dtype.ElementType);
        Assert.Equal(data, (await tensors.ReadBytesAsync(options: new LoadOptions { VerifyHashes = true }))["w"]);
    }

    [Fact]
    public async Task Reads_a_version_4_file_with_a_meta_tensor_as_zeros_and_a_zero_length_tensor()
    {
        var weight = TestFiles.Bytes(8);
        var file = new RawFileBuilder { Version = 4 }
            .Add("meta", "<f4", [2, 3], [], kind: 1)
            .Add("empty", "<f4", [0], [])
            .Add("w", "<f2", [4], weight)
            .Build();

        await using var tensors = await TestFiles.OpenAsync(file);
        Assert.True(tensors.Index["meta"].IsMeta);
        Assert.Equal(24, tensors.Index["meta"].LoadedLength);
        Assert.False(tensors.Index["empty"].IsMeta);
        var data = await tensors.ReadBytesAsync(options: new LoadOptions { VerifyHashes = true });
        Assert.Equal(weight, data["w"]);
        Assert.Empty(data["empty"]);
    }

    [Fact]
    public async Task Decodes_structured_state_dict_names()
    {
        var name = Encoding.ASCII.GetBytes("\u001e[\"model\",\"layers\",0,\"weight\"]");
        var file = new RawFileBuilder().Add(name, "<f4", [1], TestFiles.Bytes(4), kind: 2).Build();

        await using var tensors = await TestFiles.OpenAsync(file);
        var entry = Assert.Single(tensors.Index);
        Assert.Equal("model.layers.0.weight", entry.Name.Text);
        Assert.Equal(["model", "layers", 0L, "weight"], entry.Name.Path!);
    }

    [Fact]
    public async Task Structured_looking_names_on_parameters_stay_plain_as_upstream()
    {
        var name = Encoding.ASCII.GetBytes("\u001e[\"a\"]");
        var file = new RawFileBuilder().Add(name, "<f4", [1], TestFiles.Bytes(4), kind: 0).Build();

        await using var tensors = await TestFiles.OpenAsync(file);
        Assert.Null(tensors.Index[0].Name.Path);
    }

    [Fact]
    public async Task Reads_a_filtered_set_with_many_readers_and_small_chunks()
    {
        var builder = new RawFileBuilder();
        var expected = new Dictionary<string, byte[]>();
        for (var i = 0; i < 12; i++)
        {
            expected[$"t{i}"] = TestFiles.Bytes(10_000 + (i * 3_001), seed: i);
            builder.Add($"t{i}", "|u1", [(uint)expected[$"t{i}"].Length], expected[$"t{i}"]);
        }

        await using var tensors = await TestFiles.OpenAsync(builder.Build());
        var wanted = tensors.Index.Where(e => e.Name.Text is "t3" or "t7" or "t11").ToList();
        var data = await tensors.ReadBytesAsync(wanted, new LoadOptions { Readers = 4, ChunkSize = 4096, VerifyHashes = true });

        Assert.Equal(["t11", "t3", "t7"], data.Keys.Order());
        foreach (var (name, bytes) in data)
        {
            Assert.Equal(expected[name], bytes);
        }
    }

    [Fact]
    public async Task Reports_progress_up_to_the_total()
    {
        var file = new RawFileBuilder().Add("a", "|u1", [50_000], TestFiles.Bytes(50_000)).Add("b", "|u1", [3], TestFiles.Bytes(3)).Build();
        await using var tensors = await TestFiles.OpenAsync(file);
        var reports = new System.Collections.Concurrent.ConcurrentBag<LoadProgress>();
        var progress = new SynchronousProgress(reports.Add);

        await tensors.LoadAsync(tensors.Index, e => new ArrayTarget(e.DataLength), new LoadOptions { ChunkSize = 4096, Readers = 3 }, progress);

        Assert.Equal(50_003, reports.Max(r => r.BytesRead));
        Assert.All(reports, r => Assert.Equal((50_003, 2), (r.TotalBytes, r.TensorCount)));
        Assert.Equal(2, reports.Max(r => r.TensorsDone));
    }

    private sealed class SynchronousProgress(Action<LoadProgress> report) : IProgress<LoadProgress>
    {
        public void Report(LoadProgress value) => report(value);
    }
}
