using System.Text.Json;
using Models.Architectures;
using Models.Blocks;
using Tensorizer.Torch;
using static TorchSharp.torch;

namespace Models.GptNeox;

/// <summary>
/// Registers GPT-NeoX (<c>model_type: gpt_neox</c>): Pythia and its kin. Dropouts (attention_dropout,
/// hidden_dropout) do not apply at inference.
/// </summary>
public sealed class GptNeoxArchitecture : IModelArchitecture
{
    public IReadOnlyList<string> ModelTypes => ["gpt_neox"];

    public ICausalLanguageModel Create(JsonElement config, ScalarType dtype, Device device)
    {
        var parsed = GptNeoxConfig.FromJson(config);
        var model = ModuleConstruction.WithoutInit(() => new GptNeoxForCausalLM(parsed, dtype), device);
        model.eval();
        return model;
    }

    /// <summary>Pythia's checkpoints carry the causal-mask buffers and the rotary frequencies; both are computed here.</summary>
    public bool IsIgnoredTensor(string name) =>
        name.EndsWith(".attention.bias", StringComparison.Ordinal)
        || name.EndsWith(".attention.masked_bias", StringComparison.Ordinal)
        || name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal);

    public bool IsIgnoredTensor(string name, JsonElement config) =>
        IsIgnoredTensor(name) || (name == "embed_out.weight" && ConfigJson.Bool(config, "tie_word_embeddings") == true);
}
