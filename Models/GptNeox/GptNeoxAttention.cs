using Models.Blocks;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.GptNeox;

/// <summary>
/// GPT-NeoX attention: one fused query_key_value projection laid out per head as [heads, (q, k, v), head_size],
/// rotate-half rotary on the first rotary_ndims of q and k, the dense output projection.
/// </summary>
internal sealed class GptNeoxAttention : Module
{
#pragma warning disable IDE1006, CA1051, SA1307 // Field names are the Hugging Face parameter names.
    public readonly Linear query_key_value;
    public readonly Linear dense;
#pragma warning restore IDE1006, CA1051, SA1307

    private readonly GptNeoxConfig _config;

    public GptNeoxAttention(GptNeoxConfig config, ScalarType dtype) : base("attention")
    {
        _config = config;
        query_key_value = Linear(config.HiddenSize, 3L * config.HiddenSize, hasBias: config.AttentionBias, dtype: dtype);
        dense = Linear(config.HiddenSize, config.HiddenSize, hasBias: config.AttentionBias, dtype: dtype);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, LayerInputs inputs)
    {
        using var scope = NewDisposeScope();
        var (batch, tokens, headDim) = (x.shape[0], x.shape[1], _config.HeadDim);
        var qkv = query_key_value.forward(x).view(batch, tokens, _config.NumAttentionHeads, 3 * headDim);
        var q = inputs.Rotate(qkv.narrow(-1, 0, headDim)).transpose(1, 2);
        var k = inputs.Rotate(qkv.narrow(-1, headDim, headDim)).transpose(1, 2);
        var v = qkv.narrow(-1, 2 * headDim, headDim).transpose(1, 2);
        var (keys, values) = inputs.Cache.Append(inputs.Layer, k, v);
        return dense.forward(Attention.Compute(q, keys, values, inputs.Mask)).MoveToOuterDisposeScope();
    }
}
