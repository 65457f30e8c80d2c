using System.Text.Json;
using static TorchSharp.torch;

namespace Models.Architectures;

/// <summary>
/// A model family, keyed by <c>config.json</c>'s <c>model_type</c>. Adding a family is adding a folder with one
/// class implementing this; <see cref="ModelRegistry"/> finds it.
/// </summary>
public interface IModelArchitecture
{
    /// <summary>The <c>model_type</c> values this architecture serves (e.g. <c>gptj</c>).</summary>
    IReadOnlyList<string> ModelTypes { get; }

    /// <summary>Builds the model with uninitialized weights (no random init), ready to be filled from a file.</summary>
    ICausalLanguageModel Create(JsonElement config, ScalarType dtype, Device device);

    /// <summary>Stored tensors the model does not need (e.g. old attention-mask buffers), skipped when loading.</summary>
    bool IsIgnoredTensor(string name);

    /// <summary>
    /// Stored tensors this configuration of the model does not need: by default those of
    /// <see cref="IsIgnoredTensor(string)"/>; a model with tied embeddings also ignores a stored <c>lm_head.weight</c>,
    /// as Hugging Face re-ties it to the embedding.
    /// </summary>
    bool IsIgnoredTensor(string name, JsonElement config) => IsIgnoredTensor(name);
}
