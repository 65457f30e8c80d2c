using Models.Architectures;
using Models.Blocks;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.Decoders;

/// <summary>
/// The Llama-shaped causal language model (HF's <c>LlamaForCausalLM</c>, <c>MistralForCausalLM</c>,
/// <c>Qwen2ForCausalLM</c>, <c>Qwen3ForCausalLM</c>) with Hugging Face's parameter names: <c>model.embed_tokens</c>,
/// <c>model.layers.N.self_attn.q_proj</c>, …, <c>model.norm</c>, <c>lm_head</c>. With tie_word_embeddings there is
/// no lm_head: the logits come from the embedding matrix.
/// </summary>
public sealed class DecoderForCausalLM : TransformerForCausalLM
{
#pragma warning disable IDE1006, CA1051, SA1307 // Field names are the Hugging Face parameter names.
    internal readonly DecoderModel model;
    internal readonly Linear? lm_head;
#pragma warning restore IDE1006, CA1051, SA1307

    public DecoderForCausalLM(DecoderConfig config, ScalarType dtype) : base(nameof(DecoderForCausalLM), dtype)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        DecoderConfig = config;
        model = new DecoderModel(config, dtype);
        lm_head = config.TieWordEmbeddings ? null : Linear(config.HiddenSize, config.VocabSize, hasBias: false, dtype: dtype);
        RegisterComponents();
    }

    public DecoderConfig DecoderConfig { get; }

    public override ModelConfig Config =>
        ModelConfig.WithEndOfTextIds(DecoderConfig.ModelType, DecoderConfig.VocabSize, DecoderConfig.ContextLength, DecoderConfig.EosTokenIds);

    public override Device Device => model.embed_tokens.weight!.device;

    private protected override int LayerCount => DecoderConfig.NumHiddenLayers;

    private protected override int KeyValueHeads => DecoderConfig.NumKeyValueHeads;

    private protected override int HeadDim => DecoderConfig.HeadDim;

    private protected override int? SlidingWindow => DecoderConfig.SlidingWindow;

    private protected override RotaryEmbedding CreateRotary() => new(DecoderConfig.Rope, RotaryStyle.Halves);

    private protected override Tensor Embed(Tensor inputIds) => model.embed_tokens.forward(inputIds);

    private protected override Tensor Layer(Tensor hidden, LayerInputs inputs) => model.layers[inputs.Layer].Forward(hidden, inputs);

    private protected override Tensor Logits(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var normed = model.norm.forward(hidden);
        var logits = lm_head is null ? functional.linear(normed, model.embed_tokens.weight!) : lm_head.forward(normed);
        return logits.MoveToOuterDisposeScope();
    }
}
