using Models.Blocks;
using Models.Torch;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.Decoders;

/// <summary>One pre-norm layer: h = x + attention(norm(x)); h + mlp(norm(h)).</summary>
internal sealed class DecoderLayer : Module
{
#pragma warning disable IDE1006, CA1051, SA1307 // Field names are the Hugging Face parameter names.
    public readonly RmsNorm input_layernorm;
    public readonly DecoderAttention self_attn;
    public readonly RmsNorm post_attention_layernorm;
    public readonly GatedMlp mlp;
#pragma warning restore IDE1006, CA1051, SA1307

    public DecoderLayer(DecoderConfig config, ScalarType dtype) : base("layer")
    {
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, "input_layernorm");
        self_attn = new DecoderAttention(config, dtype);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, "post_attention_layernorm");
        mlp = new GatedMlp(config.HiddenSize, config.IntermediateSize, config.MlpBias, config.HiddenAct, dtype);
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden, LayerInputs inputs)
    {
        using var scope = NewDisposeScope();
        var attended = hidden.Plus(self_attn.Forward(input_layernorm.forward(hidden), inputs));
        return attended.Plus(mlp.forward(post_attention_layernorm.forward(attended))).MoveToOuterDisposeScope();
    }
}
