using System.Text.Json;
using Checkpoints.Formats;
using Models;
using Models.TinyModel;
using Tensorizer.Reading;
using Tensorizer.Torch;
using static TorchSharp.torch;

namespace Checkpoints.Tests;

/// <summary>The tiny GPT-J re-expressed as a Hugging Face checkpoint: fp32 safetensors in two shards with an index, config and tokenizer.</summary>
internal static partial class TinyCheckpoint
{
    public static readonly string[] SideFiles = ["config.json", "vocab.json", "merges.txt"];

    /// <summary>Writes the original model folder to <paramref name="original"/> and the checkpoint to <paramref name="checkpoint"/>.</summary>
    public static async Task WriteShardedSafetensorsAsync(string original, string checkpoint)
    {
        await TinyGptj.WriteAsync(original);
        Directory.CreateDirectory(checkpoint);
        await using var file = await TensorFile.OpenAsync(Path.Combine(original, ModelFolder.TensorsFile));
        var tensors = await file.LoadTensorsAsync(new TorchLoadOptions { Dtype = ScalarType.Float32 });
        try
        {
            var names = tensors.Keys.ToList();
            var shards = new[] { names.Take(names.Count / 2).ToList(), names.Skip(names.Count / 2).ToList() };
            var weightMap = new Dictionary<string, string>();
            for (var s = 0; s < shards.Length; s++)
            {
                var shardName = $"model-0000{s + 1}-of-00002.safetensors";
                SafetensorsWriter.Write(Path.Combine(checkpoint, shardName), shards[s].Select(n => (n, "F32", tensors[n].shape, tensors[n].bytes.ToArray())));
                shards[s].ForEach(n => weightMap[n] = shardName);
            }

            await File.WriteAllTextAsync(Path.Combine(checkpoint, "model.safetensors.index.json"), JsonSerializer.Serialize(new { metadata = new { }, weight_map = weightMap }));
            foreach (var side in SideFiles)
            {
                File.Copy(Path.Combine(original, side), Path.Combine(checkpoint, side));
            }
        }
        finally
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }
        }
    }
}
