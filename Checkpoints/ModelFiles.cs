namespace Checkpoints;

/// <summary>
/// The files of a converted model folder, as the seed's converter leaves it on the PVC: <c>model.tensors</c> and,
/// when the checkpoint has them, the side files copied beside it (config and tokenizer). The converter writes this
/// layout; the model loader and the service read it.
/// </summary>
public static class ModelFiles
{
    public const string TensorsFile = "model.tensors";

    /// <summary>The files beside <c>model.tensors</c> (as the seed's converter copies them), when present.</summary>
    public static readonly IReadOnlyList<string> SideFiles =
    [
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt",
        "special_tokens_map.json", "added_tokens.json", "chat_template.jinja",
    ];
}
