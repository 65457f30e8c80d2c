using Models.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.Gptj;

/// <summary>GPT-J self-attention: q/k/v/out projections without bias, rotary on q and k, scores in float32.</summary>
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
    /// <param name="mask">[batch, 1, tokens, cached + tokens] additive mask (0 or −inf), float32.</param>
    public Tensor Forward(Tensor x, Tensor positions, Tensor mask, RotaryEmbedding rotary, GptjKeyValueCache cache, int layer)
    {
        using var scope = NewDisposeScope();
        var (batch, tokens) = (x.shape[0], x.shape[1]);
        var q = rotary.Apply(q_proj.forward(x).view(batch, tokens, _config.NHead, _config.HeadDim), positions).transpose(1, 2);
        var k = rotary.Apply(k_proj.forward(x).view(batch, tokens, _config.NHead, _config.HeadDim), positions).transpose(1, 2);
        var v = v_proj.forward(x).view(batch, tokens, _config.NHead, _config.HeadDim).transpose(1, 2);
        var (keys, values) = cache.Append(layer, k, v);

        // As Hugging Face: scores and softmax in float32 whatever the weights' dtype.
        var scores = q.to_type(ScalarType.Float32).matmul(keys.to_type(ScalarType.Float32).transpose(-1, -2)).DividedBy(Math.Sqrt(_config.HeadDim));
        var weights = scores.Plus(mask).softmax(-1).to_type(values.dtype);
        var merged = weights.matmul(values).transpose(1, 2).reshape(batch, tokens, _config.NEmbd);
        return out_proj.forward(merged).MoveToOuterDisposeScope();
    }
}
