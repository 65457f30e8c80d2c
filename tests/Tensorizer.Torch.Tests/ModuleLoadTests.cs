using Tensorizer.Format;
using Tensorizer.Reading;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tensorizer.Torch.Tests;

public class ModuleLoadTests
{
    [Fact]
    public async Task A_module_written_with_write_module_loads_into_a_module_built_without_init()
    {
        using var dir = new TempDirectory();
        manual_seed(3);
        var original = new Block();
        original.eval();
        await TorchTensorWriter.WriteModuleAsync(original, dir.File("block.tensors"));

        await using var file = await TensorFile.OpenAsync(dir.File("block.tensors"));
        // Parameters are typed param, buffers buffer; module indices follow named_modules (root 0).
        Assert.Equal(TensorKind.Parameter, file.Index["fc.weight"].Kind);
        Assert.Equal(TensorKind.Buffer, file.Index["scale"].Kind);
        var (fcHeader, _) = await file.ReadHeaderAsync(file.Index["fc.weight"]);
        Assert.Equal(1, fcHeader.ModuleIndex);

        var restored = ModuleConstruction.WithoutInit(() => new Block());
        var pointerBefore = restored.fc.weight!.storage<float>().data_ptr();
        var missing = await file.LoadIntoAsync(restored, new TorchLoadOptions { Load = new LoadOptions { VerifyHashes = true } });
        restored.eval();

        Assert.Empty(missing);
        Assert.Equal(pointerBefore, restored.fc.weight!.storage<float>().data_ptr()); // filled in place, no second copy
        var input = randn(4, 8);
        Assert.True(original.forward(input).allclose(restored.forward(input)));
    }

    [Fact]
    public async Task Without_init_builds_on_meta_then_allocates_uninitialized_cpu_memory()
    {
        var module = ModuleConstruction.WithoutInit(() => new Block());
        Assert.All(module.parameters(), p => Assert.Equal(DeviceType.CPU, p.device_type));
        Assert.Equal(DeviceType.CPU, module.scale.device_type);
        Assert.Equal([16L, 8L], module.fc.weight!.shape);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Stored_dtype_is_converted_into_the_modules_dtype()
    {
        using var dir = new TempDirectory();
        var source = new Block();
        var half = source.named_parameters().Select(p => (p.name, t: p.parameter.to_type(ScalarType.Float16)))
            .Concat(source.named_buffers().Select(b => (b.name, t: b.buffer.to_type(ScalarType.Float16))))
            .ToDictionary(x => x.name, x => x.t);
        await TorchTensorWriter.WriteStateDictAsync(half, dir.File("half.tensors"));

        await using var file = await TensorFile.OpenAsync(dir.File("half.tensors"));
        var target = ModuleConstruction.WithoutInit(() => new Block());
        await file.LoadIntoAsync(target);

        Assert.Equal(ScalarType.Float32, target.fc.weight!.dtype);
        Assert.True(target.fc.weight.allclose(half["fc.weight"].to_type(ScalarType.Float32)));
    }

    [Fact]
    public async Task Missing_module_tensors_are_reported_and_unknown_parameters_refused()
    {
        using var dir = new TempDirectory();
        await TorchTensorWriter.WriteStateDictAsync(new Dictionary<string, Tensor> { ["fc.weight"] = zeros(16, 8) }, dir.File("part.tensors"));
        await using (var file = await TensorFile.OpenAsync(dir.File("part.tensors")))
        {
            var missing = await file.LoadIntoAsync(new Block());
            Assert.Equal(["fc.bias", "norm.bias", "norm.weight", "scale"], missing.Order());
        }

        await TorchTensorWriter.WriteStateDictAsync(new Dictionary<string, Tensor> { ["nope.weight"] = zeros(1) }, dir.File("other.tensors"));
        await using var other = await TensorFile.OpenAsync(dir.File("other.tensors"));
        var e = await Assert.ThrowsAsync<TensorizerException>(() => other.LoadIntoAsync(new Block()));
        Assert.Contains("nope.weight", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Buffers_the_module_lacks_are_registered_on_their_submodule()
    {
        using var dir = new TempDirectory();
        var source = new Block();
        source.fc.register_buffer("masked_bias", tensor(-1e9f));
        await TorchTensorWriter.WriteModuleAsync(source, dir.File("extra.tensors"));

        await using var file = await TensorFile.OpenAsync(dir.File("extra.tensors"));
        var target = new Block();
        await file.LoadIntoAsync(target);
        Assert.Equal(-1e9f, target.fc.get_buffer("masked_bias")!.item<float>());
    }

    /// <summary>A small module with nested parameters and a buffer of its own.</summary>
    private sealed class Block : nn.Module<Tensor, Tensor>
    {
        public Block() : base(nameof(Block))
        {
            fc = nn.Linear(8, 16);
            norm = nn.LayerNorm(16);
            scale = full(16, 0.5f);
            RegisterComponents();
        }

#pragma warning disable IDE1006, CA1051 // TorchSharp registers fields, named as in PyTorch.
        public readonly Linear fc;
        public readonly LayerNorm norm;
        public readonly Tensor scale;
#pragma warning restore IDE1006, CA1051

        public override Tensor forward(Tensor input) => norm.forward(fc.forward(input)) * scale;
    }
}
