using System.Text.Json;
using Models.Blocks;
using Models.Decoders;

namespace Models.Llama;

/// <summary>
/// Llama 2, 3, 3.1 and 3.2 (<c>model_type: llama</c>, HF's <c>LlamaConfig</c>): RMSNorm, SwiGLU, rotate-half rotary
/// with rope_theta and rope_scaling (linear, dynamic, llama3), grouped-query attention, optional head_dim,
/// attention_bias and mlp_bias, tied embeddings. <c>pretraining_tp</c> only splits Hugging Face's matmuls into slices
/// with the same result, so it is not needed here; attention_dropout does not apply at inference.
/// </summary>
public sealed class LlamaArchitecture : DecoderArchitecture
{
    public static DecoderDefaults Defaults { get; } = new() { EosTokenIds = [2] };

    public override IReadOnlyList<string> ModelTypes => ["llama"];

    public override DecoderConfig Parse(JsonElement config)
    {
        var attentionBias = ConfigJson.Bool(config, "attention_bias") ?? false;
        return DecoderConfig.Read(config, "llama", Defaults) with
        {
            QkvBias = attentionBias,
            OutputBias = attentionBias,
            MlpBias = ConfigJson.Bool(config, "mlp_bias") ?? false,
        };
    }
}
