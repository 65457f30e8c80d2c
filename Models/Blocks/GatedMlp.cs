using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.Blocks;

/// <summary>The gated MLP of Llama, Mistral and Qwen (SwiGLU with silu): down_proj(act(gate_proj(x)) · up_proj(x)).</summary>
internal sealed class GatedMlp : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006, CA1051, SA1307 // Field names are the Hugging Face parameter names.
    public readonly Linear gate_proj;
    public readonly Linear up_proj;
    public readonly Linear down_proj;
#pragma warning restore IDE1006, CA1051, SA1307

    private readonly Activation _activation;

    public GatedMlp(long hidden, long intermediate, bool bias, Activation activation, ScalarType dtype) : base("mlp")
    {
        gate_proj = Linear(hidden, intermediate, hasBias: bias, dtype: dtype);
        up_proj = Linear(hidden, intermediate, hasBias: bias, dtype: dtype);
        down_proj = Linear(intermediate, hidden, hasBias: bias, dtype: dtype);
        _activation = activation;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var gated = _activation.Apply(gate_proj.forward(input)).mul(up_proj.forward(input));
        return down_proj.forward(gated).MoveToOuterDisposeScope();
    }
}
