using Models.Blocks;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.Decoders;

/// <summary>
/// Llama's self-attention with grouped-query heads: q_proj, k_proj, v_proj, o_proj (biases as the family sets them),
/// Qwen3's per-head q_norm and k_norm before the rotary, rotate-half rotary on q and k.
/// </summary>
internal sealed class DecoderAttention : Module
{
#pragma warning disable IDE1006, CA1051, SA1307 // Field names are the Hugging Face parameter names.
    public readonly Linear q_proj;
    public readonly Linear k_proj;
    public readonly Linear v_proj;
    public readonly Linear o_proj;
    public readonly RmsNorm? q_norm;
    public readonly RmsNorm? k_norm;
#pragma warning restore IDE1006, CA1051, SA1307

    private readonly DecoderConfig _config;

    public DecoderAttention(DecoderConfig config, ScalarType dtype) : base("self_attn")
    {
        _config = config;
        var (queryWidth, keyValueWidth) = ((long)config.NumAttentionHeads * config.HeadDim, (long)config.NumKeyValueHeads * config.HeadDim);
        q_proj = Linear(config.HiddenSize, queryWidth, hasBias: config.QkvBias, dtype: dtype);
        k_proj = Linear(config.HiddenSize, keyValueWidth, hasBias: config.QkvBias, dtype: dtype);
        v_proj = Linear(config.HiddenSize, keyValueWidth, hasBias: config.QkvBias, dtype: dtype);
        o_proj = Linear(queryWidth, config.HiddenSize, hasBias: config.OutputBias, dtype: dtype);
        if (config.QkNorm)
        {
            q_norm = new RmsNorm(config.HeadDim, config.RmsNormEps, dtype, "q_norm");
            k_norm = new RmsNorm(config.HeadDim, config.RmsNormEps, dtype, "k_norm");
        }

        RegisterComponents();
    }

    /// <param name="x">[batch, tokens, hidden], already normed.</param>
    public Tensor Forward(Tensor x, LayerInputs inputs)
    {
        using var scope = NewDisposeScope();
        var (batch, tokens) = (x.shape[0], x.shape[1]);
        var q = q_proj.forward(x).view(batch, tokens, _config.NumAttentionHeads, _config.HeadDim);
        var k = k_proj.forward(x).view(batch, tokens, _config.NumKeyValueHeads, _config.HeadDim);
        var v = v_proj.forward(x).view(batch, tokens, _config.NumKeyValueHeads, _config.HeadDim).transpose(1, 2);
        if (q_norm is not null && k_norm is not null)
        {
            q = q_norm.forward(q);
            k = k_norm.forward(k);
        }

        q = inputs.Rotate(q).transpose(1, 2);
        k = inputs.Rotate(k).transpose(1, 2);
        var (keys, values) = inputs.Cache.Append(inputs.Layer, k, v);
        return o_proj.forward(Attention.Compute(q, keys, values, inputs.Mask)).MoveToOuterDisposeScope();
    }
}
