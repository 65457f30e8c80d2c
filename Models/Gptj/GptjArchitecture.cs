using System.Text.Json;
using Models.Architectures;
using Tensorizer.Torch;
using static TorchSharp.torch;

namespace Models.Gptj;

/// <summary>Registers GPT-J (<c>model_type: gptj</c>).</summary>
public sealed class GptjArchitecture : IModelArchitecture
{
    public IReadOnlyList<string> ModelTypes => ["gptj"];

    public ICausalLanguageModel Create(JsonElement config, ScalarType dtype, Device device)
    {
        var parsed = GptjConfig.FromJson(config);
        var model = ModuleConstruction.WithoutInit(() => new GptjForCausalLM(parsed, dtype), device);
        model.eval();
        return model;
    }

    /// <summary>Older transformers versions serialize the causal-mask buffers; the mask is computed here instead.</summary>
    public bool IsIgnoredTensor(string name) =>
        name.EndsWith(".attn.bias", StringComparison.Ordinal) || name.EndsWith(".attn.masked_bias", StringComparison.Ordinal);
}
