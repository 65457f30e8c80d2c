using System.Text.Json;
using Models.Decoders;

namespace Models.Qwen2;

/// <summary>
/// Qwen2 and Qwen2.5 (<c>model_type: qwen2</c>, HF's <c>Qwen2Config</c>): Llama's layers with biases on q_proj,
/// k_proj and v_proj (none on o_proj or the MLP). <c>use_sliding_window</c> true (sliding attention on the layers
/// from max_window_layers on) is refused; the released models all set it false.
/// </summary>
public sealed class Qwen2Architecture : DecoderArchitecture
{
    public static DecoderDefaults Defaults { get; } = new()
    {
        VocabSize = 151936,
        IntermediateSize = 22016,
        MaxPositionEmbeddings = 32768,
    };

    public override IReadOnlyList<string> ModelTypes => ["qwen2"];

    public override DecoderConfig Parse(JsonElement config)
    {
        RefuseSlidingWindow(config, "qwen2");
        return DecoderConfig.Read(config, "qwen2", Defaults) with { QkvBias = true, OutputBias = false };
    }

    /// <summary>Qwen's per-layer sliding window: refused by name (use_sliding_window, or a sliding layer in layer_types).</summary>
    internal static void RefuseSlidingWindow(JsonElement config, string modelType)
    {
        RefuseTrue(config, "use_sliding_window", modelType, "Qwen's per-layer sliding window is not implemented");
        if (config.TryGetProperty("layer_types", out var types) && types.ValueKind == JsonValueKind.Array
            && types.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.String || t.GetString() != "full_attention"))
        {
            throw new NotSupportedException($"config.json: layer_types {types.GetRawText()} is not supported for {modelType}: only full_attention layers are implemented.");
        }
    }
}
