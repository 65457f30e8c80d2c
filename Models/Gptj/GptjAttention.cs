using Models.Blocks;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.Gptj;

/// <summary>GPT-J self-attention: q/k/v/out projections without bias, interleaved rotary on q and k.</summary>
internal sealed class GptjAttention : Module
{
#pragma warning disable IDE1006, CA1051, SA1307 // Field names are the Hugging Face parameter names.
    public readonly Linear q_proj;
    public readonly Linear k_proj;
    public readonly Linear v_proj;
    public readonly Linear out_proj;
#pragma warning restore IDE1006, CA1051, SA1307

    private readonly GptjConfig _config;

    public GptjAttention(GptjConfig config, ScalarType dtype) : base("attn")
    {
        _config = config;
        q_proj = Linear(config.NEmbd, config.NEmbd, hasBias: false, dtype: dtype);
        k_proj = Linear(config.NEmbd, config.NEmbd, hasBias: false, dtype: dtype);
        v_proj = Linear(config.NEmbd, config.NEmbd, hasBias: false, dtype: dtype);
        out_proj = Linear(config.NEmbd, config.NEmbd, hasBias: false, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="x">[batch, tokens, n_embd], already layer-normed.</param>
    public Tensor Forward(Tensor x, LayerInputs inputs)
    {
        using var scope = NewDisposeScope();
        var (batch, tokens) = (x.shape[0], x.shape[1]);
        var q = inputs.Rotate(q_proj.forward(x).view(batch, tokens, _config.NHead, _config.HeadDim)).transpose(1, 2);
        var k = inputs.Rotate(k_proj.forward(x).view(batch, tokens, _config.NHead, _config.HeadDim)).transpose(1, 2);
        var v = v_proj.forward(x).view(batch, tokens, _config.NHead, _config.HeadDim).transpose(1, 2);
        var (keys, values) = inputs.Cache.Append(inputs.Layer, k, v);
        return out_proj.forward(Attention.Compute(q, keys, values, inputs.Mask)).MoveToOuterDisposeScope();
    }
}
