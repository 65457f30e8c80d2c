using Models.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.Blocks;

/// <summary>
/// Hugging Face's LlamaRMSNorm (and Qwen's, Mistral's): x / √(mean(x²) + eps) in float32, cast back to the input's
/// dtype, times the weight.
/// </summary>
internal sealed class RmsNorm : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006, CA1051, SA1307 // Field names are the Hugging Face parameter names.
    public readonly Parameter weight;
#pragma warning restore IDE1006, CA1051, SA1307

    private readonly double _epsilon;

    public RmsNorm(long size, double epsilon, ScalarType dtype, string name = "norm") : base(name)
    {
        weight = new Parameter(empty([size], dtype), requires_grad: false);
        _epsilon = epsilon;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.to_type(ScalarType.Float32);
        var variance = x.Power(2).mean([-1], keepdim: true);
        var normed = x.mul(variance.Plus(_epsilon).rsqrt()).to_type(input.dtype);
        return weight.mul(normed).MoveToOuterDisposeScope();
    }
}
