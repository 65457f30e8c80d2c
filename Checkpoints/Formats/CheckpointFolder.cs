using System.Text.Json;
using Tensorizer.Reading;

namespace Checkpoints.Formats;

/// <summary>
/// A local checkpoint folder: <c>model.safetensors</c> or shards listed by <c>model.safetensors.index.json</c>,
/// PyTorch <c>pytorch_model.bin</c> or its shards (<c>pytorch_model.bin.index.json</c>), or a tensorizer
/// <c>model.tensors</c>; with its config, tokenizer and generation files. Safetensors win when several are present.
/// </summary>
public static class CheckpointFolder
{
    public static async Task<IReadOnlyList<CheckpointTensor>> ReadTensorsAsync(string folder, CancellationToken cancellationToken = default)
    {
        string Find(string name) => Path.Combine(folder, name);
        if (File.Exists(Find("model.safetensors.index.json")))
        {
            return ReadSharded(folder, Find("model.safetensors.index.json"), SafetensorsFile.ReadIndex);
        }

        if (File.Exists(Find("model.safetensors")))
        {
            return SafetensorsFile.ReadIndex(Find("model.safetensors"));
        }

        if (File.Exists(Find("pytorch_model.bin.index.json")))
        {
            return ReadSharded(folder, Find("pytorch_model.bin.index.json"), PyTorchCheckpoint.ReadIndex);
        }

        if (File.Exists(Find("pytorch_model.bin")))
        {
            return PyTorchCheckpoint.ReadIndex(Find("pytorch_model.bin"));
        }

        if (File.Exists(Find("model.tensors")))
        {
            return await ReadTensorizerAsync(Find("model.tensors"), cancellationToken).ConfigureAwait(false);
        }

        throw new FileNotFoundException(
            $"{folder} holds no checkpoint: expected model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json or model.tensors.");
    }

    private static List<CheckpointTensor> ReadSharded(string folder, string index, Func<string, IReadOnlyList<CheckpointTensor>> readShard)
    {
        Dictionary<string, string> weightMap;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(index));
            weightMap = json.RootElement.GetProperty("weight_map").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{index} is not a shard index with a weight_map: {e.Message}", e);
        }

        var tensors = new List<CheckpointTensor>();
        foreach (var shard in weightMap.Values.Distinct())
        {
            tensors.AddRange(readShard(SafePaths.Resolve(folder, shard, index)));
        }

        var missing = weightMap.Keys.Except(tensors.Select(t => t.Name)).ToList();
        return missing.Count == 0
            ? tensors
            : throw new InvalidDataException($"{index} lists tensors no shard holds: {string.Join(", ", missing.Take(5))}.");
    }

    /// <summary>An existing <c>.tensors</c> file is a checkpoint too: converting it changes its dtype.</summary>
    private static async Task<IReadOnlyList<CheckpointTensor>> ReadTensorizerAsync(string path, CancellationToken cancellationToken)
    {
        var file = await TensorFile.OpenAsync(path, cancellationToken).ConfigureAwait(false);
        await using (file.ConfigureAwait(false))
        {
            return [.. file.Index.Select(e => e.IsMeta
                ? throw new InvalidDataException($"{path}: '{e.Name}' is a meta tensor (stored without data); it cannot be converted.")
                : new CheckpointTensor(e.Name.ToString(), e.Dtype.ElementType, [.. e.Shape], path, e.DataOffset, e.DataLength))];
        }
    }
}
