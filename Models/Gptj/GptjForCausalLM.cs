using Models.Architectures;
using Models.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.Gptj;

/// <summary>
/// GPT-J as Hugging Face's <c>GPTJForCausalLM</c> defines it, with the same parameter names, so a <c>.tensors</c>
/// file converted from a Hugging Face checkpoint loads by name.
/// </summary>
public sealed class GptjForCausalLM : Module, ICausalLanguageModel
{
    // Large but finite: a row that is all masked (a left-padding query) stays finite instead of NaN.
    private const float Masked = -1e30f;

#pragma warning disable IDE1006, CA1051, SA1307 // Field names are the Hugging Face parameter names.
    internal readonly GptjModel transformer;
    internal readonly Linear lm_head;
#pragma warning restore IDE1006, CA1051, SA1307

    private readonly GptjConfig _config;
    private RotaryEmbedding? _rotary;

    public GptjForCausalLM(GptjConfig config, ScalarType dtype) : base(nameof(GptjForCausalLM))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        _config = config;
        Dtype = dtype;
        transformer = new GptjModel(config, dtype);
        lm_head = Linear(config.NEmbd, config.VocabSize, dtype: dtype);
        RegisterComponents();
    }

    public ModelConfig Config => new("gptj", _config.VocabSize, _config.NPositions, _config.EosTokenId);

    public GptjConfig GptjConfig => _config;

    public Device Device => lm_head.weight!.device;

    public ScalarType Dtype { get; }

    public IKeyValueCache CreateCache(int batch, int length) => new GptjKeyValueCache(_config, batch, length, Dtype, Device);

    public Tensor Forward(Tensor inputIds, Tensor positions, Tensor attentionMask, IKeyValueCache cache, bool lastTokenOnly = false)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        var kv = cache as GptjKeyValueCache ?? throw new ArgumentException("The cache must come from this model's CreateCache.", nameof(cache));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = (int)inputIds.shape[1];
        _rotary ??= new RotaryEmbedding(_config.RotaryDim, _config.NPositions, Device);
        var mask = AdditiveMask(attentionMask.to(Device), kv.Length, tokens);
        var ids = inputIds.to(Device);
        var at = positions.to(Device);
        var hidden = transformer.wte.forward(ids);
        for (var layer = 0; layer < _config.NLayer; layer++)
        {
            hidden = transformer.h[layer].Forward(hidden, at, mask, _rotary, kv, layer);
        }

        kv.Advance(tokens);
        if (lastTokenOnly)
        {
            hidden = hidden.narrow(1, tokens - 1, 1);
        }

        var logits = lm_head.forward(transformer.ln_f.forward(hidden)).to_type(ScalarType.Float32);
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>[batch, 1, tokens, cached + tokens]: 0 where a query may attend (causal and not padding), else very negative.</summary>
    private static Tensor AdditiveMask(Tensor attentionMask, int cached, int tokens)
    {
        var total = cached + tokens;
        var causal = ones(tokens, total, ScalarType.Bool, attentionMask.device).tril(cached); // query i sits at cached + i
        var allowed = causal.unsqueeze(0).logical_and(attentionMask.narrow(1, 0, total).to_type(ScalarType.Bool).unsqueeze(1)); // [batch, tokens, total]
        return zeros([allowed.shape[0], tokens, total], ScalarType.Float32, attentionMask.device)
            .masked_fill_(allowed.logical_not(), Scalars.Of(Masked))
            .unsqueeze(1);
    }
}
