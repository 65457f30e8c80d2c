using Models.Architectures;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.Blocks;

/// <summary>What every layer of one forward pass shares: the mask, the rotary angles, the cache, and which layer it is.</summary>
internal readonly record struct LayerInputs(Tensor Mask, RotaryEmbedding Rotary, RotaryAngles Angles, KeyValueCache Cache, int Layer)
{
    /// <summary>Rotates queries or keys [batch, tokens, heads, head_dim] to this pass's positions.</summary>
    public Tensor Rotate(Tensor x) => Rotary.Apply(x, Angles);
}

/// <summary>
/// The forward pass every family shares: the additive mask and the rotary angles once per pass, the token
/// embedding, the layers over the KV cache, and the final norm and head (only on the last token when that is all
/// generation needs). A family supplies its modules, named as Hugging Face names them, and one layer's step.
/// </summary>
public abstract class TransformerForCausalLM : Module, ICausalLanguageModel
{
    private RotaryEmbedding? _rotary;

    private protected TransformerForCausalLM(string name, ScalarType dtype) : base(name)
    {
        Dtype = dtype;
    }

    public abstract ModelConfig Config { get; }

    public abstract Device Device { get; }

    public ScalarType Dtype { get; }

    private protected abstract int LayerCount { get; }

    private protected abstract int KeyValueHeads { get; }

    private protected abstract int HeadDim { get; }

    /// <summary>Keys further back than this are not attended to (Mistral); null attends to the whole context.</summary>
    private protected virtual int? SlidingWindow => null;

    /// <summary>Bytes the KV cache takes per token of one sequence (keys and values of every layer's key/value heads).</summary>
    public long KeyValueBytesPerToken => 2L * LayerCount * KeyValueHeads * HeadDim * (Dtype switch
    {
        ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Float64 => 8,
        _ => 4,
    });

    public IKeyValueCache CreateCache(int batch, int length) => new KeyValueCache(LayerCount, batch, KeyValueHeads, length, HeadDim, Dtype, Device);

    public Tensor Forward(Tensor inputIds, Tensor positions, Tensor attentionMask, IKeyValueCache cache, bool lastTokenOnly = false)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(attentionMask);
        var kv = cache as KeyValueCache ?? throw new ArgumentException("The cache must come from this model's CreateCache.", nameof(cache));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = (int)inputIds.shape[1];
        _rotary ??= CreateRotary();
        var at = positions.to(Device);
        var mask = Attention.AdditiveMask(attentionMask.to(Device), kv.Length, tokens, SlidingWindow);
        var angles = _rotary.Angles(at);
        var hidden = Embed(inputIds.to(Device));
        for (var layer = 0; layer < LayerCount; layer++)
        {
            hidden = Layer(hidden, new LayerInputs(mask, _rotary, angles, kv, layer));
        }

        kv.Advance(tokens);
        if (lastTokenOnly)
        {
            hidden = hidden.narrow(1, tokens - 1, 1);
        }

        return Logits(hidden).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    private protected abstract RotaryEmbedding CreateRotary();

    /// <summary>Token embeddings [batch, tokens, hidden].</summary>
    private protected abstract Tensor Embed(Tensor inputIds);

    /// <summary>One layer: reads and extends the cache at <see cref="LayerInputs.Layer"/>.</summary>
    private protected abstract Tensor Layer(Tensor hidden, LayerInputs inputs);

    /// <summary>The final norm and the language-model head.</summary>
    private protected abstract Tensor Logits(Tensor hidden);
}
