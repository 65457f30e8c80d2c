using Models;
using Tensorizer.Reading;
using Tensorizer.Torch;
using static TorchSharp.torch;

namespace Checkpoints.Tests;

/// <summary>The tiny GPT-J as a PyTorch checkpoint (this project's tests only: the writer lives here).</summary>
internal static partial class TinyCheckpoint
{
    /// <summary>
    /// Writes <paramref name="original"/>'s weights as an fp32 <c>pytorch_model.bin</c> (as GPT-J's float32 branch is
    /// published) in <paramref name="checkpoint"/>, with its config and tokenizer files.
    /// </summary>
    public static async Task WritePyTorchBinAsync(string original, string checkpoint, bool weightsAsParameters = false)
    {
        Directory.CreateDirectory(checkpoint);
        await using (var file = await TensorFile.OpenAsync(Path.Combine(original, ModelFolder.TensorsFile)))
        {
            var writer = new PyTorchCheckpointWriter();
            foreach (var (name, tensor) in await file.LoadTensorsAsync(new TorchLoadOptions { Dtype = ScalarType.Float32 }))
            {
                writer.Add(name, "float32", tensor.shape, tensor.bytes.ToArray(), parameter: weightsAsParameters && name.EndsWith(".weight", StringComparison.Ordinal));
                tensor.Dispose();
            }

            writer.Write(Path.Combine(checkpoint, "pytorch_model.bin"));
        }

        foreach (var side in SideFiles)
        {
            File.Copy(Path.Combine(original, side), Path.Combine(checkpoint, side));
        }
    }
}
