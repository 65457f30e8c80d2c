using System.Text.Json;
using Models.Blocks;

namespace Models.GptNeox;

/// <summary>GPT-NeoX's hyper-parameters (Pythia), named and defaulted as in Hugging Face's <c>GPTNeoXConfig</c>.</summary>
public sealed record GptNeoxConfig
{
    public int VocabSize { get; init; } = 50432;

    public int HiddenSize { get; init; } = 6144;

    public int NumHiddenLayers { get; init; } = 44;

    public int NumAttentionHeads { get; init; } = 64;

    public int IntermediateSize { get; init; } = 24576;

    public Activation HiddenAct { get; init; } = Activation.Gelu;

    /// <summary>The share of each head's dims that rotate (the first ones).</summary>
    public double RotaryPct { get; init; } = 0.25;

    /// <summary>rotary_emb_base (rope_theta in newer configs).</summary>
    public double RotaryEmbBase { get; init; } = 10000;

    public RopeScaling? RopeScaling { get; init; }

    public int MaxPositionEmbeddings { get; init; } = 2048;

    public double LayerNormEps { get; init; } = 1e-5;

    /// <summary>Attention and MLP both read the layer's input (true), or the MLP reads attention's output (false).</summary>
    public bool UseParallelResidual { get; init; } = true;

    /// <summary>Biases on query_key_value and dense.</summary>
    public bool AttentionBias { get; init; } = true;

    /// <summary>embed_out reuses embed_in.</summary>
    public bool TieWordEmbeddings { get; init; }

    public IReadOnlyList<int> EosTokenIds { get; init; } = [2];

    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>Python's int(head_size × rotary_pct), as Hugging Face computes rotary_ndims.</summary>
    public int RotaryDim => (int)(HeadDim * RotaryPct);

    public int ContextLength => RopeScaling?.ContextLength(MaxPositionEmbeddings) ?? MaxPositionEmbeddings;

    public RopeParameters Rope => new(RotaryDim, RotaryEmbBase, RopeScaling, MaxPositionEmbeddings);

    /// <summary>Reads config.json; refuses quantized weights and activations other than gelu and its tanh forms by name.</summary>
    public static GptNeoxConfig FromJson(JsonElement json)
    {
        if (ConfigJson.Object(json, "quantization_config") is not null)
        {
            throw new NotSupportedException("config.json: quantization_config is not supported; convert a floating-point checkpoint.");
        }

        var defaults = new GptNeoxConfig();
        var eos = ConfigJson.IntOrList(json, "eos_token_id");
        var config = new GptNeoxConfig
        {
            VocabSize = ConfigJson.Int(json, "vocab_size") ?? defaults.VocabSize,
            HiddenSize = ConfigJson.Int(json, "hidden_size") ?? defaults.HiddenSize,
            NumHiddenLayers = ConfigJson.Int(json, "num_hidden_layers") ?? defaults.NumHiddenLayers,
            NumAttentionHeads = ConfigJson.Int(json, "num_attention_heads") ?? defaults.NumAttentionHeads,
            IntermediateSize = ConfigJson.Int(json, "intermediate_size") ?? defaults.IntermediateSize,
            HiddenAct = Activations.Parse("hidden_act", ConfigJson.String(json, "hidden_act") ?? "gelu", Activation.Gelu, Activation.GeluTanh),
            RotaryPct = ConfigJson.Double(json, "rotary_pct") ?? ConfigJson.Double(json, "partial_rotary_factor") ?? defaults.RotaryPct,
            RotaryEmbBase = ConfigJson.Double(json, "rotary_emb_base") ?? ConfigJson.Double(json, "rope_theta") ?? defaults.RotaryEmbBase,
            RopeScaling = RopeScaling.FromJson(json),
            MaxPositionEmbeddings = ConfigJson.Int(json, "max_position_embeddings") ?? defaults.MaxPositionEmbeddings,
            LayerNormEps = ConfigJson.Double(json, "layer_norm_eps") ?? defaults.LayerNormEps,
            UseParallelResidual = ConfigJson.Bool(json, "use_parallel_residual") ?? defaults.UseParallelResidual,
            AttentionBias = ConfigJson.Bool(json, "attention_bias") ?? defaults.AttentionBias,
            TieWordEmbeddings = ConfigJson.Bool(json, "tie_word_embeddings") ?? defaults.TieWordEmbeddings,
            EosTokenIds = eos.Count > 0 ? eos : defaults.EosTokenIds,
        };
        config.Validate();
        return config;
    }

    public void Validate()
    {
        if (HiddenSize <= 0 || NumAttentionHeads <= 0 || HiddenSize % NumAttentionHeads != 0 || NumHiddenLayers <= 0 || VocabSize <= 0
            || IntermediateSize <= 0 || MaxPositionEmbeddings <= 0)
        {
            throw new InvalidDataException(
                $"Inconsistent gpt_neox config: hidden_size {HiddenSize}, num_attention_heads {NumAttentionHeads}, num_hidden_layers {NumHiddenLayers}, vocab_size {VocabSize}, intermediate_size {IntermediateSize}, max_position_embeddings {MaxPositionEmbeddings}.");
        }

        if (!(RotaryPct is > 0 and <= 1) || RotaryDim % 2 != 0 || RotaryDim < 2)
        {
            throw new InvalidDataException($"Inconsistent gpt_neox config: rotary_pct {RotaryPct} of head size {HeadDim} gives {RotaryDim} rotary dims; they must be even, at least 2.");
        }

        if (!(RotaryEmbBase > 0) || !(LayerNormEps > 0))
        {
            throw new InvalidDataException($"Inconsistent gpt_neox config: rotary_emb_base {RotaryEmbBase} and layer_norm_eps {LayerNormEps} must be positive.");
        }

        if (EosTokenIds.Any(id => id < 0 || id >= VocabSize))
        {
            throw new InvalidDataException($"Inconsistent gpt_neox config: eos_token_id {string.Join(", ", EosTokenIds)} outside the vocabulary of {VocabSize}.");
        }
    }
}
