using System.Text.Json;

namespace Downloader.Checkpoints;

/// <summary>
/// A Hugging Face checkpoint folder: <c>model.safetensors</c>, or shards listed by
/// <c>model.safetensors.index.json</c>; with its config, tokenizer and generation files.
/// </summary>
internal static class CheckpointFolder
{
    /// <summary>Files copied beside <c>model.tensors</c>, as the seed's converter does, when present.</summary>
    public static readonly string[] SideFiles =
    [
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt",
        "special_tokens_map.json", "added_tokens.json",
    ];

    public static IReadOnlyList<CheckpointTensor> ReadTensors(string folder)
    {
        var index = Path.Combine(folder, "model.safetensors.index.json");
        if (File.Exists(index))
        {
            return ReadSharded(folder, index);
        }

        var single = Path.Combine(folder, "model.safetensors");
        return File.Exists(single)
            ? SafetensorsFile.ReadIndex(single)
            : throw new FileNotFoundException($"{folder} has neither model.safetensors nor model.safetensors.index.json (PyTorch .bin checkpoints are not supported yet).");
    }

    private static List<CheckpointTensor> ReadSharded(string folder, string index)
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(index));
        var weightMap = json.RootElement.GetProperty("weight_map").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        var tensors = new List<CheckpointTensor>();
        foreach (var shard in weightMap.Values.Distinct())
        {
            var path = Path.GetFullPath(Path.Combine(folder, shard));
            if (!path.StartsWith(Path.GetFullPath(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{index} names a shard outside the folder: '{shard}'.");
            }

            tensors.AddRange(SafetensorsFile.ReadIndex(path));
        }

        var missing = weightMap.Keys.Except(tensors.Select(t => t.Name)).ToList();
        return missing.Count == 0
            ? tensors
            : throw new InvalidDataException($"{index} lists tensors no shard holds: {string.Join(", ", missing.Take(5))}.");
    }
}
