using System.Text.Json;
using Checkpoints.Formats;

namespace Benchmarks.Support;

/// <summary>A GPT-J-shaped fp32 safetensors checkpoint in shards with an index, made once and reused (random values in ±0.1).</summary>
internal static class ShardedCheckpoint
{
    public static async Task EnsureAsync(string folder, int embedding, int layers, int vocabulary, long shardBytes, CancellationToken ct)
    {
        var index = Path.Combine(folder, "model.safetensors.index.json");
        if (File.Exists(index))
        {
            return;
        }

        Directory.CreateDirectory(folder);
        var random = new Random(7);
        var weightMap = new Dictionary<string, string>();
        var shards = new List<List<(string Name, long[] Shape)>> { new() };
        long size = 0;
        foreach (var (name, shape) in GptjShapes.Parameters(embedding, layers, vocabulary))
        {
            var bytes = shape.Aggregate(4L, (a, b) => a * b);
            if (size > 0 && size + bytes > shardBytes)
            {
                shards.Add([]);
                size = 0;
            }

            shards[^1].Add((name, shape));
            size += bytes;
        }

        for (var s = 0; s < shards.Count; s++)
        {
            ct.ThrowIfCancellationRequested();
            var shardName = $"model-{s + 1:00000}-of-{shards.Count:00000}.safetensors";
            SafetensorsWriter.Write(Path.Combine(folder, shardName), [.. shards[s].Select(t => new SafetensorsTensor(
                t.Name, "F32", t.Shape, t.Shape.Aggregate(4L, (a, b) => a * b), stream => WriteRandom(stream, t.Shape.Aggregate(1L, (a, b) => a * b), random)))]);
            shards[s].ForEach(t => weightMap[t.Name] = shardName);
        }

        await File.WriteAllTextAsync(Path.Combine(folder, "config.json"), """{"model_type": "gptj"}""", ct);
        await File.WriteAllTextAsync(index, JsonSerializer.Serialize(new { metadata = new { }, weight_map = weightMap }), ct);
    }

    private static void WriteRandom(Stream stream, long count, Random random)
    {
        var buffer = new float[1 << 20];
        for (long done = 0; done < count; done += buffer.Length)
        {
            var n = (int)Math.Min(buffer.Length, count - done);
            for (var i = 0; i < n; i++)
            {
                buffer[i] = (random.NextSingle() - 0.5f) * 0.2f;
            }

            stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(buffer.AsSpan(0, n)));
        }
    }
}
