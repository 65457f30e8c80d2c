using System.Text.Json;
using Models.Blocks;
using Models.Decoders;

namespace Models.Mistral;

/// <summary>
/// Mistral (<c>model_type: mistral</c>, HF's <c>MistralConfig</c>): Llama's layers without biases, plus
/// <c>sliding_window</c> (4096 when absent, as in Hugging Face; null for none): once the context is longer, each
/// query attends to the last sliding_window tokens only, itself included.
/// </summary>
public sealed class MistralArchitecture : DecoderArchitecture
{
    public const int DefaultSlidingWindow = 4096;

    public static DecoderDefaults Defaults { get; } = new()
    {
        IntermediateSize = 14336,
        NumKeyValueHeads = 8,
        MaxPositionEmbeddings = 4096 * 32,
        EosTokenIds = [2],
    };

    public override IReadOnlyList<string> ModelTypes => ["mistral"];

    public override DecoderConfig Parse(JsonElement config)
    {
        RefuseTrue(config, "attention_bias", "mistral", "Hugging Face's Mistral has no attention biases");
        RefuseTrue(config, "mlp_bias", "mistral", "Hugging Face's Mistral has no MLP biases");
        var window = config.TryGetProperty("sliding_window", out _) ? ConfigJson.Int(config, "sliding_window") : DefaultSlidingWindow;
        return DecoderConfig.Read(config, "mistral", Defaults) with { SlidingWindow = window };
    }
}
