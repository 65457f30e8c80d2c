using System.Text.Json;

namespace Tensorizer.Format;

/// <summary>
/// <c>model.safetensors.index.json</c>, the index of a sharded checkpoint as Hugging Face publishes it: a
/// <c>weight_map</c> from each tensor's name to the shard file that holds it. Shard names are paths relative to the
/// index; one that would leave its folder (absolute, <c>..</c>, a backslash, a scheme) is refused before anything
/// is opened.
/// </summary>
public sealed class SafetensorsIndex
{
    /// <summary>The index's file name in a model folder.</summary>
    public const string FileName = "model.safetensors.index.json";

    /// <summary>The single file of an unsharded checkpoint.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>Far above any real index (a 400B-parameter model's is under 1 MB).</summary>
    public const int MaxLength = 64 << 20;

    private SafetensorsIndex(IReadOnlyDictionary<string, string> weightMap, IReadOnlyList<string> shards)
    {
        WeightMap = weightMap;
        Shards = shards;
    }

    /// <summary>Tensor name → shard file.</summary>
    public IReadOnlyDictionary<string, string> WeightMap { get; }

    /// <summary>The distinct shard files, in the order the map first names them.</summary>
    public IReadOnlyList<string> Shards { get; }

    public static SafetensorsIndex Parse(ReadOnlySpan<byte> json, string location)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new TensorizerFormatException($"{location}: the safetensors index is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new TensorizerFormatException($"{location}: the safetensors index has no weight_map object.");
            }

            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            var shards = new List<string>();
            foreach (var item in map.EnumerateObject())
            {
                if (item.Value.ValueKind != JsonValueKind.String)
                {
                    throw new TensorizerFormatException($"{location}: weight_map maps '{item.Name}' to a JSON {item.Value.ValueKind}, not a file name.");
                }

                var shard = item.Value.GetString()!;
                CheckShardName(shard, location);
                if (!weightMap.TryAdd(item.Name, shard))
                {
                    throw new TensorizerFormatException($"{location}: weight_map names '{item.Name}' twice.");
                }

                if (!shards.Contains(shard, StringComparer.Ordinal))
                {
                    shards.Add(shard);
                }
            }

            if (weightMap.Count == 0)
            {
                throw new TensorizerFormatException($"{location}: the safetensors index maps no tensors.");
            }

            return new SafetensorsIndex(weightMap, shards);
        }
    }

    /// <summary>A shard is a relative path inside the index's folder: no root, no <c>..</c> or <c>.</c>, no backslash, no scheme.</summary>
    public static void CheckShardName(string shard, string location)
    {
        ArgumentNullException.ThrowIfNull(shard);
        var segments = shard.Split('/');
        if (shard.Length == 0 || shard.Length > 1024 || shard.Contains('\\', StringComparison.Ordinal) || shard.Contains(':', StringComparison.Ordinal)
            || shard.Contains('?', StringComparison.Ordinal) || shard.Contains('#', StringComparison.Ordinal)
            || shard.Any(char.IsControl) || segments.Any(s => s is "" or "." or ".."))
        {
            throw new TensorizerFormatException($"{location}: shard '{shard}' is not a file inside the checkpoint's folder.");
        }
    }
}
