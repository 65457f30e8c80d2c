using System.Runtime.InteropServices;
using System.Text.Json;
using Checkpoints.Formats;
using Tensorizer.Casting;
using Tensorizer.Format;
using Tensorizer.Reading;
using static TorchSharp.torch;

namespace Tensorizer.Torch.Tests;

/// <summary>
/// A sharded bf16/fp16/fp32 safetensors checkpoint straight into a module and into tensors: stored types read in
/// place, others cast chunk by chunk while read (tensors of several chunks), equal bit for bit to the converter's casts.
/// </summary>
public sealed class SafetensorsTorchTests
{
    private static readonly LoadOptions SmallChunks = new() { Readers = 4, ChunkSize = 4096 };

    private static (string Folder, Dictionary<string, (TensorElementType Type, byte[] Data)> Stored) WriteCheckpoint(TempDirectory dir)
    {
        var random = new Random(1818);
        byte[] Bytes(int n)
        {
            var data = new byte[n];
            random.NextBytes(data);
            return data;
        }

        byte[] Floats(int n) => MemoryMarshal.AsBytes(Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray().AsSpan()).ToArray();

        var stored = new Dictionary<string, (TensorElementType Type, byte[] Data)>
        {
            ["fc.weight"] = (TensorElementType.BFloat16, Bytes(64 * 100 * 2)),
            ["fc.bias"] = (TensorElementType.BFloat16, Bytes(64 * 2)),
            ["norm.weight"] = (TensorElementType.Float32, Floats(64)),
            ["norm.bias"] = (TensorElementType.Float32, Floats(64)),
            ["scale"] = (TensorElementType.Float16, Bytes(64 * 2)),
        };
        var shapes = new Dictionary<string, long[]> { ["fc.weight"] = [64, 100], ["fc.bias"] = [64], ["norm.weight"] = [64], ["norm.bias"] = [64], ["scale"] = [64] };
        var names = new Dictionary<TensorElementType, string> { [TensorElementType.BFloat16] = "BF16", [TensorElementType.Float16] = "F16", [TensorElementType.Float32] = "F32" };
        var weightMap = new Dictionary<string, string>();
        var shards = stored.Keys.Chunk(2).ToList();
        for (var s = 0; s < shards.Count; s++)
        {
            var file = $"model-{s + 1:00000}-of-{shards.Count:00000}.safetensors";
            SafetensorsWriter.Write(dir.File(file), shards[s].Select(n => (n, names[stored[n].Type], shapes[n], stored[n].Data)));
            foreach (var name in shards[s])
            {
                weightMap[name] = file;
            }
        }

        File.WriteAllText(dir.File(SafetensorsIndex.FileName), JsonSerializer.Serialize(new { weight_map = weightMap }));
        return (dir.Path, stored);
    }

    private static byte[] Cast(byte[] data, TensorElementType from, TensorElementType to)
    {
        if (from == to)
        {
            return data;
        }

        var output = new byte[data.Length / TensorDtype.SizeOf(from) * TensorDtype.SizeOf(to)];
        ElementCasts.Cast(data, from, output, to);
        return output;
    }

    private static byte[] BytesOf(Tensor tensor)
    {
        var bytes = new byte[tensor.NumberOfElements * tensor.ElementSize];
        tensor.bytes.CopyTo(bytes);
        return bytes;
    }

    [Fact]
    public async Task A_sharded_bf16_checkpoint_loads_into_a_float32_module_in_place_cast_while_read_as_the_converter_casts()
    {
        using var dir = new TempDirectory("safetensors-module-");
        var (folder, stored) = WriteCheckpoint(dir);
        await using var checkpoint = await TensorCheckpoints.OpenAsync(Path.Combine(folder, SafetensorsIndex.FileName));
        var module = ModuleConstruction.WithoutInit(() => new TestBlock(100, 64));
        var pointer = module.fc.weight!.storage<float>().data_ptr();

        var result = await checkpoint.LoadIntoAsync(module, new TorchLoadOptions { Load = SmallChunks });

        Assert.Empty(result.Missing);
        Assert.Equal((2, 3, 0), (result.FilledInPlace, result.CastWhileReading, result.CopiedAfterwards));
        Assert.Equal(pointer, module.fc.weight!.storage<float>().data_ptr()); // no second copy of the module
        var own = module.named_parameters().Select(p => (p.name, t: (Tensor)p.parameter)).Concat(module.named_buffers().Select(b => (b.name, t: b.buffer)));
        foreach (var (name, tensor) in own)
        {
            Assert.Equal(Cast(stored[name].Data, stored[name].Type, TensorElementType.Float32), BytesOf(tensor));
        }
    }

    [Theory]
    [InlineData(ScalarType.Float16, TensorElementType.Float16)]
    [InlineData(ScalarType.Float32, TensorElementType.Float32)]
    public async Task Tensors_load_cast_to_the_service_dtype_bit_for_bit_as_the_converter_casts(ScalarType dtype, TensorElementType type)
    {
        using var dir = new TempDirectory("safetensors-tensors-");
        var (folder, stored) = WriteCheckpoint(dir);
        await using var checkpoint = await TensorCheckpoints.OpenAsync(Path.Combine(folder, SafetensorsIndex.FileName));
        var tensors = await checkpoint.LoadTensorsAsync(new TorchLoadOptions { Dtype = dtype, Load = SmallChunks });
        try
        {
            Assert.Equal(stored.Keys.Order(), tensors.Keys.Order());
            foreach (var (name, tensor) in tensors)
            {
                Assert.Equal(dtype, tensor.dtype);
                Assert.Equal(Cast(stored[name].Data, stored[name].Type, type), BytesOf(tensor));
            }
        }
        finally
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }
        }
    }
}
