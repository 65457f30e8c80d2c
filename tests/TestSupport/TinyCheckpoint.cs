using System.Text.Json;
using Checkpoints;
using Checkpoints.Builtin;
using Checkpoints.Formats;
using Tensorizer.Casting;
using Tensorizer.Format;
using Tensorizer.Reading;

namespace TestSupport;

/// <summary>The tiny GPT-J re-expressed as a Hugging Face checkpoint: fp32 safetensors in two shards with an index, config and tokenizer.</summary>
public static class TinyCheckpoint
{
    public static readonly string[] SideFiles = ["config.json", "vocab.json", "merges.txt"];

    /// <summary>Writes the original model folder to <paramref name="original"/> and the checkpoint to <paramref name="checkpoint"/>.</summary>
    public static async Task WriteShardedSafetensorsAsync(string original, string checkpoint)
    {
        await TinyGptjFolder.WriteAsync(original);
        Directory.CreateDirectory(checkpoint);
        var tensors = await ReadFloat32Async(original);
        var names = tensors.Select(t => t.Name).ToList();
        var shards = new[] { tensors.Take(names.Count / 2).ToList(), tensors.Skip(names.Count / 2).ToList() };
        var weightMap = new Dictionary<string, string>();
        for (var s = 0; s < shards.Length; s++)
        {
            var shardName = $"model-0000{s + 1}-of-00002.safetensors";
            SafetensorsWriter.Write(Path.Combine(checkpoint, shardName), shards[s].Select(t => (t.Name, "F32", t.Shape, t.Data)));
            shards[s].ForEach(t => weightMap[t.Name] = shardName);
        }

        await File.WriteAllTextAsync(Path.Combine(checkpoint, "model.safetensors.index.json"), JsonSerializer.Serialize(new { metadata = new { }, weight_map = weightMap }));
        CopySideFiles(original, checkpoint);
    }

    /// <summary>A model folder's tensors in file order, each cast to float32 (as GPT-J's float32 branch publishes them).</summary>
    public static async Task<IReadOnlyList<(string Name, long[] Shape, byte[] Data)>> ReadFloat32Async(string modelFolder)
    {
        await using var file = await TensorFile.OpenAsync(Path.Combine(modelFolder, ModelFiles.TensorsFile));
        var bytes = await file.ReadBytesAsync();
        return [.. file.Index.Select(entry =>
        {
            var data = new byte[entry.ElementCount * sizeof(float)];
            ElementCasts.Cast(bytes[entry.Name.Text], entry.Dtype.ElementType, data, TensorElementType.Float32);
            return (entry.Name.Text, entry.Shape.ToArray(), data);
        })];
    }

    /// <summary>Copies <see cref="SideFiles"/> from a model folder into a checkpoint.</summary>
    public static void CopySideFiles(string original, string checkpoint)
    {
        foreach (var side in SideFiles)
        {
            File.Copy(Path.Combine(original, side), Path.Combine(checkpoint, side));
        }
    }
}
