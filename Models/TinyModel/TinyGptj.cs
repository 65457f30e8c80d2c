using Checkpoints.Builtin;
using Models.Gptj;

namespace Models.TinyModel;

/// <summary>
/// The embedded default, <c>builtin://tiny-gptj</c>: a tiny GPT-J written as a model folder by
/// <see cref="TinyGptjFolder"/> (the checkpoints library makes it, so every converter can), with its hyper-parameters
/// as this library's <see cref="GptjConfig"/>.
/// </summary>
public static class TinyGptj
{
    /// <summary>How settings name it: the service's <c>MODEL_PATH</c>, the converter's <c>--source</c>.</summary>
    public const string Location = Checkpoints.Sources.BuiltinSource.TinyGptj;

    public static GptjConfig Config { get; } = new()
    {
        VocabSize = TinyGptjFolder.VocabSize,
        NPositions = TinyGptjFolder.NPositions,
        NEmbd = TinyGptjFolder.NEmbd,
        NLayer = TinyGptjFolder.NLayer,
        NHead = TinyGptjFolder.NHead,
        RotaryDim = TinyGptjFolder.RotaryDim,
        ActivationFunction = TinyGptjFolder.ActivationFunction,
        LayerNormEpsilon = TinyGptjFolder.LayerNormEpsilon,
    };

    /// <summary>Writes the model folder (<c>model.tensors</c>, <c>config.json</c>, GPT-2 tokenizer files) into <paramref name="folder"/>.</summary>
    public static Task WriteAsync(string folder, CancellationToken cancellationToken = default) => TinyGptjFolder.WriteAsync(folder, cancellationToken);
}
