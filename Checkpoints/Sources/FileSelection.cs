using Microsoft.Extensions.FileSystemGlobbing;

namespace Checkpoints.Sources;

/// <summary>
/// Which of a source's files to fetch: by default only what a model needs (weights, config, tokenizer, generation
/// config), preferring safetensors over PyTorch <c>.bin</c> when a repository has both; or the user's globs.
/// </summary>
public static class FileSelection
{
    private static readonly string[] SafetensorsWeights = ["*.safetensors", "*.safetensors.index.json"];
    private static readonly string[] PyTorchWeights = ["pytorch_model*.bin", "pytorch_model.bin.index.json"];
    private static readonly string[] TensorizerWeights = ["model.tensors"];

    public static IReadOnlyList<CheckpointFile> Select(IReadOnlyList<CheckpointFile> files, IReadOnlyList<string> include, IReadOnlyList<string> exclude)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(include);
        ArgumentNullException.ThrowIfNull(exclude);
        var patterns = include.Count > 0 ? include : DefaultPatterns(files);
        var matcher = new Matcher(StringComparison.Ordinal);
        matcher.AddIncludePatterns(patterns);
        matcher.AddExcludePatterns(exclude);
        var chosen = matcher.Match(files.Select(f => f.Path)).Files.Select(m => m.Path).ToHashSet(StringComparer.Ordinal);
        return [.. files.Where(f => chosen.Contains(f.Path))];
    }

    private static string[] DefaultPatterns(IReadOnlyList<CheckpointFile> files)
    {
        bool Has(string[] globs)
        {
            var matcher = new Matcher(StringComparison.Ordinal);
            matcher.AddIncludePatterns(globs);
            return matcher.Match(files.Select(f => f.Path)).HasMatches;
        }

        var weights = Has(SafetensorsWeights) ? SafetensorsWeights : Has(PyTorchWeights) ? PyTorchWeights : TensorizerWeights;
        return [.. weights, .. ModelFiles.SideFiles];
    }
}
