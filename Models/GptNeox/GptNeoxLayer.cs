using Models.Blocks;
using Models.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.GptNeox;

/// <summary>
/// One GPT-NeoX layer. Parallel residual (Pythia): mlp(ln2(x)) + attention(ln1(x)) + x. Sequential:
/// h = attention(ln1(x)) + x, then mlp(ln2(h)) + h.
/// </summary>
internal sealed class GptNeoxLayer : Module
{
#pragma warning disable IDE1006, CA1051, SA1307 // Field names are the Hugging Face parameter names.
    public readonly LayerNorm input_layernorm;
    public readonly LayerNorm post_attention_layernorm;
    public readonly GptNeoxAttention attention;
    public readonly GeluMlp mlp;
#pragma warning restore IDE1006, CA1051, SA1307

    private readonly bool _parallelResidual;

    public GptNeoxLayer(GptNeoxConfig config, ScalarType dtype) : base("layer")
    {
        input_layernorm = LayerNorm(config.HiddenSize, config.LayerNormEps, dtype: dtype);
        post_attention_layernorm = LayerNorm(config.HiddenSize, config.LayerNormEps, dtype: dtype);
        attention = new GptNeoxAttention(config, dtype);
        mlp = new GeluMlp("dense_h_to_4h", "dense_4h_to_h", config.HiddenSize, config.IntermediateSize, config.HiddenAct, dtype);
        _parallelResidual = config.UseParallelResidual;
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden, LayerInputs inputs)
    {
        using var scope = NewDisposeScope();
        var attended = attention.Forward(input_layernorm.forward(hidden), inputs);
        Tensor output;
        if (_parallelResidual)
        {
            output = mlp.forward(post_attention_layernorm.forward(hidden)).Plus(attended).Plus(hidden);
        }
        else
        {
            var residual = attended.Plus(hidden);
            output = mlp.forward(post_attention_layernorm.forward(residual)).Plus(residual);
        }

        return output.MoveToOuterDisposeScope();
    }
}
