using System.Text.Json;
using Models.Architectures;
using Models.Blocks;
using Tensorizer.Torch;
using static TorchSharp.torch;

namespace Models.Decoders;

/// <summary>
/// A family served by the Llama-shaped decoder: it reads its config.json into a <see cref="DecoderConfig"/> (its
/// defaults, its options, its refusals); building and loading are shared.
/// </summary>
public abstract class DecoderArchitecture : IModelArchitecture
{
    public abstract IReadOnlyList<string> ModelTypes { get; }

    /// <summary>The family's config.json as the decoder's options, validated.</summary>
    public abstract DecoderConfig Parse(JsonElement config);

    public ICausalLanguageModel Create(JsonElement config, ScalarType dtype, Device device)
    {
        var parsed = Parse(config);
        parsed.Validate();
        var model = ModuleConstruction.WithoutInit(() => new DecoderForCausalLM(parsed, dtype), device);
        model.eval();
        return model;
    }

    /// <summary>Checkpoints saved by older transformers versions carry the rotary frequencies as a buffer; they are computed here.</summary>
    public bool IsIgnoredTensor(string name) => name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal);

    public bool IsIgnoredTensor(string name, JsonElement config) =>
        IsIgnoredTensor(name) || (name == "lm_head.weight" && ConfigJson.Bool(config, "tie_word_embeddings") == true);

    /// <summary>Refuses <paramref name="key"/> when config.json sets it to true: the family's model here does not implement it.</summary>
    private protected static void RefuseTrue(JsonElement config, string key, string modelType, string why)
    {
        if (ConfigJson.Bool(config, key) == true)
        {
            throw new NotSupportedException($"config.json: {key} true is not supported for {modelType}: {why}.");
        }
    }
}
