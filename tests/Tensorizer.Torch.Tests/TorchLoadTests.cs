using Tensorizer.Reading;
using static TorchSharp.torch;

namespace Tensorizer.Torch.Tests;

public class TorchLoadTests
{
    public static TheoryData<ScalarType> Types() =>
        [ScalarType.Float16, ScalarType.BFloat16, ScalarType.Float32, ScalarType.Float64, ScalarType.Int64, ScalarType.Int8, ScalarType.Byte, ScalarType.Bool];

    [Theory]
    [MemberData(nameof(Types))]
    public async Task A_state_dict_round_trips_bit_for_bit(ScalarType type)
    {
        using var dir = new TempDirectory();
        manual_seed(1);
        var original = new Dictionary<string, Tensor>
        {
            ["big"] = (randn(300, 700) * 100).to_type(type),
            ["scalar"] = (randn([]) * 100).to_type(type),
            ["empty"] = zeros([0, 3], type),
        };
        await TorchTensorWriter.WriteStateDictAsync(original, dir.File("sd.tensors"));

        await using var file = await TensorFile.OpenAsync(dir.File("sd.tensors"));
        var options = new TorchLoadOptions { Load = new LoadOptions { Readers = 3, ChunkSize = 16384, VerifyHashes = true } };
        var loaded = await file.LoadTensorsAsync(options);

        Assert.Equal(original.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, tensor) in original)
        {
            Assert.Equal(type, loaded[name].dtype);
            Assert.Equal(tensor.shape, loaded[name].shape);
            Assert.True(tensor.bytes.SequenceEqual(loaded[name].bytes), name);
        }
    }

    [Fact]
    public async Task Bfloat16_bytes_from_a_byte_built_version_2_file_decode_to_the_right_values()
    {
        using var dir = new TempDirectory();
        // bf16 1.0 = 0x3F80, -2.0 = 0xC000, 3.140625 = 0x4049, little-endian.
        var bytes = new byte[] { 0x80, 0x3F, 0x00, 0xC0, 0x49, 0x40 };
        await File.WriteAllBytesAsync(dir.File("bf16.tensors"), new RawFileBuilder { Version = 2 }.Add("w", "<V2\0torch.bfloat16", [3], bytes).Build());

        await using var file = await TensorFile.OpenAsync(dir.File("bf16.tensors"));
        var loaded = await file.LoadTensorsAsync();
        Assert.Equal(ScalarType.BFloat16, loaded["w"].dtype);
        Assert.Equal([1f, -2f, 3.140625f], loaded["w"].to_type(ScalarType.Float32).data<float>().ToArray());
    }

    [Fact]
    public async Task Meta_tensors_load_as_zeros_and_dtype_conversion_applies_to_floats_only()
    {
        using var dir = new TempDirectory();
        var file = new RawFileBuilder { Version = 4 }
            .Add("meta", "<f4", [2, 2], [], kind: 1)
            .Add("half", "<f2", [2], [0x00, 0x3C, 0x00, 0x40]) // 1.0, 2.0
            .Add("ids", "<i8", [1], BitConverter.GetBytes(7L))
            .Build();
        await File.WriteAllBytesAsync(dir.File("v4.tensors"), file);

        await using var tensors = await TensorFile.OpenAsync(dir.File("v4.tensors"));
        var loaded = await tensors.LoadTensorsAsync(new TorchLoadOptions { Dtype = ScalarType.Float32 });
        Assert.Equal(new float[4], loaded["meta"].data<float>().ToArray());
        Assert.Equal([1f, 2f], loaded["half"].data<float>().ToArray());
        Assert.Equal(ScalarType.Int64, loaded["ids"].dtype);
    }

    [Fact]
    public async Task A_filter_loads_only_the_chosen_tensors()
    {
        using var dir = new TempDirectory();
        await TorchTensorWriter.WriteStateDictAsync(new Dictionary<string, Tensor> { ["a"] = ones(2), ["b"] = ones(3) }, dir.File("f.tensors"));
        await using var file = await TensorFile.OpenAsync(dir.File("f.tensors"));

        var loaded = await file.LoadTensorsAsync(new TorchLoadOptions { Filter = e => e.Name.Text == "b" });
        Assert.Equal(["b"], loaded.Keys);
    }
}
