using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tensorizer.Torch.Tests;

/// <summary>A small module with nested parameters and a buffer of its own: <c>fc</c> (inputs → width), <c>norm</c>, <c>scale</c>.</summary>
internal sealed class TestBlock : nn.Module<Tensor, Tensor>
{
    public TestBlock(int inputs = 8, int width = 16) : base(nameof(TestBlock))
    {
        fc = nn.Linear(inputs, width);
        norm = nn.LayerNorm(width);
        scale = full(width, 0.5f);
        RegisterComponents();
    }

#pragma warning disable IDE1006, CA1051 // TorchSharp registers fields, named as in PyTorch.
    public readonly Linear fc;
    public readonly LayerNorm norm;
    public readonly Tensor scale;
#pragma warning restore IDE1006, CA1051

    public override Tensor forward(Tensor input) => norm.forward(fc.forward(input)) * scale;
}
