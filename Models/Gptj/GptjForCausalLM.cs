using Models.Architectures;
using Models.Blocks;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.Gptj;

/// <summary>
/// GPT-J as Hugging Face's <c>GPTJForCausalLM</c> defines it, with the same parameter names, so a <c>.tensors</c>
/// file converted from a Hugging Face checkpoint loads by name.
/// </summary>
public sealed class GptjForCausalLM : TransformerForCausalLM
{
#pragma warning disable IDE1006, CA1051, SA1307 // Field names are the Hugging Face parameter names.
    internal readonly GptjModel transformer;
    internal readonly Linear lm_head;
#pragma warning restore IDE1006, CA1051, SA1307

    private readonly GptjConfig _config;

    public GptjForCausalLM(GptjConfig config, ScalarType dtype) : base(nameof(GptjForCausalLM), dtype)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        _config = config;
        transformer = new GptjModel(config, dtype);
        lm_head = Linear(config.NEmbd, config.VocabSize, dtype: dtype);
        RegisterComponents();
    }

    public override ModelConfig Config => new("gptj", _config.VocabSize, _config.NPositions, _config.EosTokenId);

    public GptjConfig GptjConfig => _config;

    public override Device Device => lm_head.weight!.device;

    private protected override int LayerCount => _config.NLayer;

    private protected override int KeyValueHeads => _config.NHead;

    private protected override int HeadDim => _config.HeadDim;

    /// <summary>
    /// GPT-J's interleaved rotary on the first rotary_dim dims, inv_freq = 10000^(−2j/rotary_dim) in float64 (the
    /// angles round to float32 once).
    /// </summary>
    private protected override RotaryEmbedding CreateRotary() =>
        new(_config.RotaryDim, RotaryStyle.Interleaved, _ => Frequencies(_config.RotaryDim), dependsOnLength: false);

    private protected override Tensor Embed(Tensor inputIds) => transformer.wte.forward(inputIds);

    private protected override Tensor Layer(Tensor hidden, LayerInputs inputs) => transformer.h[inputs.Layer].Forward(hidden, inputs);

    private protected override Tensor Logits(Tensor hidden) => lm_head.forward(transformer.ln_f.forward(hidden));

    private static double[] Frequencies(int rotaryDim) =>
        [.. Enumerable.Range(0, rotaryDim / 2).Select(j => 1.0 / Math.Pow(10000.0, 2.0 * j / rotaryDim))];
}
