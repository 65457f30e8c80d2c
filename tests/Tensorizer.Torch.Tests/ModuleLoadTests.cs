using Tensorizer.Format;
using Tensorizer.Reading;
using TorchSharp;
using static TorchSharp.torch;

namespace Tensorizer.Torch.Tests;

public class ModuleLoadTests
{
    [Fact]
    public async Task A_module_written_with_write_module_loads_into_a_module_built_without_init()
    {
        using var dir = new TempDirectory();
        manual_seed(3);
        var original = new TestBlock();
        original.eval();
        await TorchTensorWriter.WriteModuleAsync(original, dir.File("block.tensors"));

        await using var file = await TensorFile.OpenAsync(dir.File("block.tensors"));
        // Parameters are typed param, buffers buffer; module indices follow named_modules (root 0).
        Assert.Equal(TensorKind.Parameter, file.Index["fc.weight"].Kind);
        Assert.Equal(TensorKind.Buffer, file.Index["scale"].Kind);
        var (fcHeader, _) = await file.ReadHeaderAsync(file.Index["fc.weight"]);
        Assert.Equal(1, fcHeader.ModuleIndex);

        var restored = ModuleConstruction.WithoutInit(() => new TestBlock());
        var pointerBefore = restored.fc.weight!.storage<float>().data_ptr();
        var missing = (await file.LoadIntoAsync(restored, new TorchLoadOptions { Load = new LoadOptions { VerifyHashes = true } })).Missing;
        restored.eval();

        Assert.Empty(missing);
        Assert.Equal(pointerBefore, restored.fc.weight!.storage<float>().data_ptr()); // filled in place, no second copy
        var input = randn(4, 8);
        Assert.True(original.forward(input).allclose(restored.forward(input)));
    }

    [Fact]
    public async Task Without_init_builds_on_meta_then_allocates_uninitialized_cpu_memory()
    {
        var module = ModuleConstruction.WithoutInit(() => new TestBlock());
        Assert.All(module.parameters(), p => Assert.Equal(DeviceType.CPU, p.device_type));
        Assert.Equal(DeviceType.CPU, module.scale.device_type);
        Assert.Equal([16L, 8L], module.fc.weight!.shape);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Stored_dtype_is_converted_into_the_modules_dtype()
    {
        using var dir = new TempDirectory();
        var source = new TestBlock();
        var half = source.named_parameters().Select(p => (p.name, t: p.parameter.to_type(ScalarType.Float16)))
            .Concat(source.named_buffers().Select(b => (b.name, t: b.buffer.to_type(ScalarType.Float16))))
            .ToDictionary(x => x.name, x => x.t);
        await TorchTensorWriter.WriteStateDictAsync(half, dir.File("half.tensors"));

        await using var file = await TensorFile.OpenAsync(dir.File("half.tensors"));
        var target = ModuleConstruction.WithoutInit(() => new TestBlock());
        var pointerBefore = target.fc.weight!.storage<float>().data_ptr();
        var result = await file.LoadIntoAsync(target, new TorchLoadOptions { Load = new LoadOptions { ChunkSize = 4096, VerifyHashes = true } });

        // Every tensor cast chunk by chunk into the module's own memory while read: no copy beside, none after.
        Assert.Equal((0, 5, 0), (result.FilledInPlace, result.CastWhileReading, result.CopiedAfterwards));
        Assert.Equal(pointerBefore, target.fc.weight!.storage<float>().data_ptr());
        Assert.Equal(ScalarType.Float32, target.fc.weight!.dtype);
        var state = target.state_dict();
        foreach (var (name, stored) in half)
        {
            Assert.Equal(stored.to_type(ScalarType.Float32).bytes.ToArray(), state[name].bytes.ToArray()); // bit for bit as libtorch casts
        }
    }

    [Fact]
    public async Task A_module_of_the_stored_dtype_is_filled_in_place_without_staging()
    {
        using var dir = new TempDirectory();
        await TorchTensorWriter.WriteModuleAsync(new TestBlock(), dir.File("block.tensors"));
        await using var file = await TensorFile.OpenAsync(dir.File("block.tensors"));

        var result = await file.LoadIntoAsync(ModuleConstruction.WithoutInit(() => new TestBlock()));

        Assert.Equal((5, 0, 0), (result.FilledInPlace, result.CastWhileReading, result.CopiedAfterwards));
    }

    [Theory]
    [InlineData(ScalarType.BFloat16, ScalarType.Float32)]
    [InlineData(ScalarType.Float32, ScalarType.Float16)]
    [InlineData(ScalarType.Float16, ScalarType.BFloat16)]
    [InlineData(ScalarType.BFloat16, ScalarType.Float16)]
    public async Task Loading_new_tensors_in_another_dtype_casts_while_reading_as_libtorch_does(ScalarType stored, ScalarType wanted)
    {
        using var dir = new TempDirectory();
        manual_seed(5);
        // Values across the range, with the ones rounding cares about: ties, subnormals, overflow, infinities, NaN.
        using var values = cat([randn(20_000).mul(tensor(1000f)), tensor(new[] { 0f, -0f, 65504f, 65520f, 1e-8f, 3.4e38f, float.PositiveInfinity, float.NegativeInfinity, float.NaN })]).to_type(stored);
        await TorchTensorWriter.WriteStateDictAsync(new Dictionary<string, Tensor> { ["values"] = values }, dir.File("values.tensors"));
        await using var file = await TensorFile.OpenAsync(dir.File("values.tensors"));

        var loaded = await file.LoadTensorsAsync(new TorchLoadOptions { Dtype = wanted, Load = new LoadOptions { ChunkSize = 4096, Readers = 3 } });

        using var expected = values.to_type(wanted);
        Assert.Equal(wanted, loaded["values"].dtype);
        Assert.Equal(expected.bytes.ToArray(), loaded["values"].bytes.ToArray());
        loaded["values"].Dispose();
    }

    [Fact]
    public async Task Missing_module_tensors_are_reported_and_unknown_parameters_refused()
    {
        using var dir = new TempDirectory();
        await TorchTensorWriter.WriteStateDictAsync(new Dictionary<string, Tensor> { ["fc.weight"] = zeros(16, 8) }, dir.File("part.tensors"));
        await using (var file = await TensorFile.OpenAsync(dir.File("part.tensors")))
        {
            var missing = (await file.LoadIntoAsync(new TestBlock())).Missing;
            Assert.Equal(["fc.bias", "norm.bias", "norm.weight", "scale"], missing.Order());
        }

        await TorchTensorWriter.WriteStateDictAsync(new Dictionary<string, Tensor> { ["nope.weight"] = zeros(1) }, dir.File("other.tensors"));
        await using var other = await TensorFile.OpenAsync(dir.File("other.tensors"));
        var e = await Assert.ThrowsAsync<TensorizerException>(() => other.LoadIntoAsync(new TestBlock()));
        Assert.Contains("nope.weight", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Buffers_the_module_lacks_are_registered_on_their_submodule()
    {
        using var dir = new TempDirectory();
        var source = new TestBlock();
        source.fc.register_buffer("masked_bias", tensor(-1e9f));
        await TorchTensorWriter.WriteModuleAsync(source, dir.File("extra.tensors"));

        await using var file = await TensorFile.OpenAsync(dir.File("extra.tensors"));
        var target = new TestBlock();
        await file.LoadIntoAsync(target);
        Assert.Equal(-1e9f, target.fc.get_buffer("masked_bias")!.item<float>());
    }
}
