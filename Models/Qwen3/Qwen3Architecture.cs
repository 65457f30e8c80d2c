using System.Text.Json;
using Models.Blocks;
using Models.Decoders;
using Models.Qwen2;

namespace Models.Qwen3;

/// <summary>
/// Qwen3 dense models (<c>model_type: qwen3</c>, HF's <c>Qwen3Config</c>): Llama's layers with an RMSNorm over each
/// head of q and k (q_norm, k_norm) before the rotary, head_dim 128 unless stated, biases per attention_bias.
/// <c>use_sliding_window</c> true is refused, as for Qwen2.
/// </summary>
public sealed class Qwen3Architecture : DecoderArchitecture
{
    public static DecoderDefaults Defaults { get; } = new()
    {
        VocabSize = 151936,
        IntermediateSize = 22016,
        HeadDim = 128,
        MaxPositionEmbeddings = 32768,
    };

    public override IReadOnlyList<string> ModelTypes => ["qwen3"];

    public override DecoderConfig Parse(JsonElement config)
    {
        Qwen2Architecture.RefuseSlidingWindow(config, "qwen3");
        var attentionBias = ConfigJson.Bool(config, "attention_bias") ?? false;
        return DecoderConfig.Read(config, "qwen3", Defaults) with { QkvBias = attentionBias, OutputBias = attentionBias, QkNorm = true };
    }
}
