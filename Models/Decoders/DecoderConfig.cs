using System.Text.Json;
using Models.Blocks;

namespace Models.Decoders;

/// <summary>Hugging Face's defaults for the keys a family's config.json may leave out (its <c>PretrainedConfig</c> class).</summary>
public sealed record DecoderDefaults
{
    public int VocabSize { get; init; } = 32000;

    public int HiddenSize { get; init; } = 4096;

    public int IntermediateSize { get; init; } = 11008;

    public int NumHiddenLayers { get; init; } = 32;

    public int NumAttentionHeads { get; init; } = 32;

    /// <summary>Null: as many as the attention heads (no grouping).</summary>
    public int? NumKeyValueHeads { get; init; }

    /// <summary>Null: hidden_size / num_attention_heads.</summary>
    public int? HeadDim { get; init; }

    public int MaxPositionEmbeddings { get; init; } = 2048;

    public double RmsNormEps { get; init; } = 1e-6;

    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
}

/// <summary>
/// The Llama-shaped decoder's hyper-parameters, named after Hugging Face's config keys: what Llama, Mistral, Qwen2 and
/// Qwen3 share, and the options that tell them apart (biases, q/k norms, a sliding window). Each family reads its
/// config.json into this with its own defaults and refusals (<see cref="DecoderArchitecture"/>).
/// </summary>
public sealed record DecoderConfig
{
    public required string ModelType { get; init; }

    public int VocabSize { get; init; }

    public int HiddenSize { get; init; }

    public int IntermediateSize { get; init; }

    public int NumHiddenLayers { get; init; }

    public int NumAttentionHeads { get; init; }

    public int NumKeyValueHeads { get; init; }

    public int HeadDim { get; init; }

    public Activation HiddenAct { get; init; } = Activation.Silu;

    public int MaxPositionEmbeddings { get; init; }

    public double RmsNormEps { get; init; }

    public double RopeTheta { get; init; } = 10000;

    public RopeScaling? RopeScaling { get; init; }

    /// <summary>Biases on q_proj, k_proj and v_proj.</summary>
    public bool QkvBias { get; init; }

    /// <summary>A bias on o_proj.</summary>
    public bool OutputBias { get; init; }

    /// <summary>Biases on gate_proj, up_proj and down_proj.</summary>
    public bool MlpBias { get; init; }

    /// <summary>Qwen3: an RMSNorm over each head of q and k (q_norm, k_norm) before the rotary embedding.</summary>
    public bool QkNorm { get; init; }

    /// <summary>Mistral: a query attends to at most this many keys (itself included); null: the whole context.</summary>
    public int? SlidingWindow { get; init; }

    /// <summary>The head reuses the token embedding (no lm_head.weight).</summary>
    public bool TieWordEmbeddings { get; init; }

    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>The longest sequence served (see <see cref="RopeScaling.ContextLength"/>).</summary>
    public int ContextLength => RopeScaling?.ContextLength(MaxPositionEmbeddings) ?? MaxPositionEmbeddings;

    public RopeParameters Rope => new(HeadDim, RopeTheta, RopeScaling, MaxPositionEmbeddings);

    /// <summary>
    /// The keys every family reads alike, with the family's defaults; refuses what no family here implements:
    /// quantized weights, a hidden_act other than silu, partial rotary, an unknown rope_scaling type.
    /// </summary>
    public static DecoderConfig Read(JsonElement json, string modelType, DecoderDefaults defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        if (ConfigJson.Object(json, "quantization_config") is { } quantization)
        {
            var method = ConfigJson.String(quantization, "quant_method") ?? "unknown";
            throw new NotSupportedException($"config.json: quantization_config ({method}) is not supported; convert a floating-point checkpoint.");
        }

        if (ConfigJson.Double(json, "partial_rotary_factor") is { } partial && partial != 1.0)
        {
            throw new NotSupportedException($"config.json: partial_rotary_factor {partial} is not supported for {modelType}.");
        }

        var hidden = ConfigJson.Int(json, "hidden_size") ?? defaults.HiddenSize;
        var heads = ConfigJson.Int(json, "num_attention_heads") ?? defaults.NumAttentionHeads;
        var ropeParameters = ConfigJson.Object(json, "rope_parameters");
        var eos = ConfigJson.IntOrList(json, "eos_token_id");
        return new DecoderConfig
        {
            ModelType = modelType,
            VocabSize = ConfigJson.Int(json, "vocab_size") ?? defaults.VocabSize,
            HiddenSize = hidden,
            IntermediateSize = ConfigJson.Int(json, "intermediate_size") ?? defaults.IntermediateSize,
            NumHiddenLayers = ConfigJson.Int(json, "num_hidden_layers") ?? defaults.NumHiddenLayers,
            NumAttentionHeads = heads,
            NumKeyValueHeads = ConfigJson.Int(json, "num_key_value_heads") ?? defaults.NumKeyValueHeads ?? heads,
            HeadDim = ConfigJson.Int(json, "head_dim") ?? defaults.HeadDim ?? (heads > 0 ? hidden / heads : 0),
            HiddenAct = Activations.Parse("hidden_act", ConfigJson.String(json, "hidden_act") ?? "silu", Activation.Silu),
            MaxPositionEmbeddings = ConfigJson.Int(json, "max_position_embeddings") ?? defaults.MaxPositionEmbeddings,
            RmsNormEps = ConfigJson.Double(json, "rms_norm_eps") ?? defaults.RmsNormEps,
            RopeTheta = ConfigJson.Double(json, "rope_theta") ?? (ropeParameters is { } p ? ConfigJson.Double(p, "rope_theta") : null) ?? 10000,
            RopeScaling = RopeScaling.FromJson(json),
            TieWordEmbeddings = ConfigJson.Bool(json, "tie_word_embeddings") ?? false,
            EosTokenIds = eos.Count > 0 ? eos : defaults.EosTokenIds,
        };
    }

    public void Validate()
    {
        if (VocabSize <= 0 || HiddenSize <= 0 || IntermediateSize <= 0 || NumHiddenLayers <= 0 || NumAttentionHeads <= 0 || MaxPositionEmbeddings <= 0)
        {
            throw new InvalidDataException(
                $"Inconsistent {ModelType} config: vocab_size {VocabSize}, hidden_size {HiddenSize}, intermediate_size {IntermediateSize}, num_hidden_layers {NumHiddenLayers}, num_attention_heads {NumAttentionHeads}, max_position_embeddings {MaxPositionEmbeddings}.");
        }

        if (NumKeyValueHeads <= 0 || NumAttentionHeads % NumKeyValueHeads != 0)
        {
            throw new InvalidDataException($"Inconsistent {ModelType} config: num_attention_heads {NumAttentionHeads} is not a multiple of num_key_value_heads {NumKeyValueHeads}.");
        }

        if (HeadDim <= 2 || HeadDim % 2 != 0)
        {
            throw new InvalidDataException($"Inconsistent {ModelType} config: head_dim {HeadDim} must be even (rotary pairs) and above 2.");
        }

        if (!(RmsNormEps > 0) || !(RopeTheta > 0))
        {
            throw new InvalidDataException($"Inconsistent {ModelType} config: rms_norm_eps {RmsNormEps} and rope_theta {RopeTheta} must be positive.");
        }

        if (SlidingWindow is <= 0)
        {
            throw new InvalidDataException($"Inconsistent {ModelType} config: sliding_window {SlidingWindow} must be positive.");
        }

        if (EosTokenIds.Any(id => id < 0 || id >= VocabSize))
        {
            throw new InvalidDataException($"Inconsistent {ModelType} config: eos_token_id {string.Join(", ", EosTokenIds)} outside the vocabulary of {VocabSize}.");
        }
    }
}
