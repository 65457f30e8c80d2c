using Models.Blocks;
using Models.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.Gptj;

/// <summary>One GPT-J layer: one layer norm feeding attention and MLP in parallel, both added to the residual.</summary>
internal sealed class GptjBlock : Module
{
#pragma warning disable IDE1006, CA1051, SA1307 // Field names are the Hugging Face parameter names.
    public readonly LayerNorm ln_1;
    public readonly GptjAttention attn;
    public readonly GeluMlp mlp;
#pragma warning restore IDE1006, CA1051, SA1307

    public GptjBlock(GptjConfig config, ScalarType dtype) : base("block")
    {
        ln_1 = LayerNorm(config.NEmbd, config.LayerNormEpsilon, dtype: dtype);
        attn = new GptjAttention(config, dtype);
        mlp = new GeluMlp("fc_in", "fc_out", config.NEmbd, config.InnerDim, config.Activation, dtype);
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden, LayerInputs inputs)
    {
        using var scope = NewDisposeScope();
        var normed = ln_1.forward(hidden);
        var output = attn.Forward(normed, inputs).Plus(mlp.forward(normed)).Plus(hidden);
        return output.MoveToOuterDisposeScope();
    }
}
