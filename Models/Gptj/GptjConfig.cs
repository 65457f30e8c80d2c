using System.Text.Json;
using Models.Blocks;

namespace Models.Gptj;

/// <summary>GPT-J's hyper-parameters, named and defaulted as in Hugging Face's <c>GPTJConfig</c>.</summary>
public sealed record GptjConfig
{
    public int VocabSize { get; init; } = 50400;

    public int NPositions { get; init; } = 2048;

    public int NEmbd { get; init; } = 4096;

    public int NLayer { get; init; } = 28;

    public int NHead { get; init; } = 16;

    public int RotaryDim { get; init; } = 64;

    /// <summary>MLP width; null means 4 × n_embd.</summary>
    public int? NInner { get; init; }

    public string ActivationFunction { get; init; } = "gelu_new";

    public double LayerNormEpsilon { get; init; } = 1e-5;

    public int? EosTokenId { get; init; } = 50256;

    public int HeadDim => NEmbd / NHead;

    public int InnerDim => NInner ?? (4 * NEmbd);

    /// <summary>The MLP activation <see cref="ActivationFunction"/> names (validated: gelu_new or gelu).</summary>
    public Activation Activation => ActivationFunction == "gelu_new" ? Activation.GeluTanh : Activation.Gelu;

    public static GptjConfig FromJson(JsonElement json)
    {
        var defaults = new GptjConfig();
        var config = new GptjConfig
        {
            VocabSize = Int(json, "vocab_size") ?? defaults.VocabSize,
            NPositions = Int(json, "n_positions") ?? defaults.NPositions,
            NEmbd = Int(json, "n_embd") ?? defaults.NEmbd,
            NLayer = Int(json, "n_layer") ?? defaults.NLayer,
            NHead = Int(json, "n_head") ?? defaults.NHead,
            RotaryDim = Int(json, "rotary_dim") ?? defaults.RotaryDim,
            NInner = Int(json, "n_inner"),
            ActivationFunction = json.TryGetProperty("activation_function", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : defaults.ActivationFunction,
            LayerNormEpsilon = json.TryGetProperty("layer_norm_epsilon", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetDouble() : defaults.LayerNormEpsilon,
            EosTokenId = Int(json, "eos_token_id") ?? defaults.EosTokenId,
        };
        config.Validate();
        return config;
    }

    public void Validate()
    {
        if (NEmbd <= 0 || NHead <= 0 || NEmbd % NHead != 0 || RotaryDim < 0 || RotaryDim > HeadDim || RotaryDim % 2 != 0
            || NLayer <= 0 || VocabSize <= 0 || NPositions <= 0)
        {
            throw new InvalidDataException($"Inconsistent GPT-J config: n_embd {NEmbd}, n_head {NHead}, rotary_dim {RotaryDim}, n_layer {NLayer}, vocab {VocabSize}, n_positions {NPositions}.");
        }

        if (ActivationFunction is not ("gelu_new" or "gelu"))
        {
            throw new NotSupportedException($"GPT-J activation '{ActivationFunction}' is not supported (gelu_new, gelu).");
        }
    }

    private static int? Int(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : null;
}
