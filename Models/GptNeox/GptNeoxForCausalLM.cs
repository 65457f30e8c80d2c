using Models.Architectures;
using Models.Blocks;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.GptNeox;

/// <summary>
/// GPT-NeoX (Pythia) as Hugging Face's <c>GPTNeoXForCausalLM</c> defines it: <c>gpt_neox.embed_in</c>,
/// <c>gpt_neox.layers.N.attention.query_key_value</c>, …, <c>gpt_neox.final_layer_norm</c>, and a separate
/// <c>embed_out</c> head (the embedding itself with tie_word_embeddings).
/// </summary>
public sealed class GptNeoxForCausalLM : TransformerForCausalLM
{
#pragma warning disable IDE1006, CA1051, SA1307 // Field names are the Hugging Face parameter names.
    internal readonly GptNeoxModel gpt_neox;
    internal readonly Linear? embed_out;
#pragma warning restore IDE1006, CA1051, SA1307

    public GptNeoxForCausalLM(GptNeoxConfig config, ScalarType dtype) : base(nameof(GptNeoxForCausalLM), dtype)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        GptNeoxConfig = config;
        gpt_neox = new GptNeoxModel(config, dtype);
        embed_out = config.TieWordEmbeddings ? null : Linear(config.HiddenSize, config.VocabSize, hasBias: false, dtype: dtype);
        RegisterComponents();
    }

    public GptNeoxConfig GptNeoxConfig { get; }

    public override ModelConfig Config =>
        ModelConfig.WithEndOfTextIds("gpt_neox", GptNeoxConfig.VocabSize, GptNeoxConfig.ContextLength, GptNeoxConfig.EosTokenIds);

    public override Device Device => gpt_neox.embed_in.weight!.device;

    private protected override int LayerCount => GptNeoxConfig.NumHiddenLayers;

    private protected override int KeyValueHeads => GptNeoxConfig.NumAttentionHeads;

    private protected override int HeadDim => GptNeoxConfig.HeadDim;

    private protected override RotaryEmbedding CreateRotary() => new(GptNeoxConfig.Rope, RotaryStyle.Halves);

    private protected override Tensor Embed(Tensor inputIds) => gpt_neox.embed_in.forward(inputIds);

    private protected override Tensor Layer(Tensor hidden, LayerInputs inputs) => gpt_neox.layers[inputs.Layer].Forward(hidden, inputs);

    private protected override Tensor Logits(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var normed = gpt_neox.final_layer_norm.forward(hidden);
        var logits = embed_out is null ? functional.linear(normed, gpt_neox.embed_in.weight!) : embed_out.forward(normed);
        return logits.MoveToOuterDisposeScope();
    }
}
