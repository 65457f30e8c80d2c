namespace Checkpoints;

/// <summary>
/// The files of a converted model folder, as the seed's converter leaves it on the PVC: <c>model.tensors</c> and,
/// when the checkpoint has them, the side files copied beside it (config and tokenizer). The converter writes this
/// layout; the model loader and the service read it.
/// </summary>
public static class ModelFiles
{
    public const string TensorsFile = "model.tensors";

    /// <summary>A sharded safetensors checkpoint's index, as Hugging Face publishes it.</summary>
    public const string SafetensorsIndexFile = Tensorizer.Format.SafetensorsIndex.FileName;

    /// <summary>An unsharded safetensors checkpoint's weights.</summary>
    public const string SafetensorsFile = Tensorizer.Format.SafetensorsIndex.SingleFileName;

    /// <summary>
    /// The weights a model folder may hold, in order of preference: the converted <c>model.tensors</c> (hashes,
    /// encryption), else the checkpoint's own safetensors, sharded or not, served as they are.
    /// </summary>
    public static readonly IReadOnlyList<string> WeightsFiles = [TensorsFile, SafetensorsIndexFile, SafetensorsFile];

    /// <summary>The files beside <c>model.tensors</c> (as the seed's converter copies them), when present.</summary>
    public static readonly IReadOnlyList<string> SideFiles =
    [
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt",
        "special_tokens_map.json", "added_tokens.json", "chat_template.jinja",
    ];
}
