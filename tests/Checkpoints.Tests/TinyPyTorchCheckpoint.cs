namespace Checkpoints.Tests;

/// <summary>The tiny GPT-J as a PyTorch checkpoint (this project's tests only: the writer lives here).</summary>
internal static class TinyPyTorchCheckpoint
{
    /// <summary>
    /// Writes <paramref name="original"/>'s weights as an fp32 <c>pytorch_model.bin</c> (as GPT-J's float32 branch is
    /// published) in <paramref name="checkpoint"/>, with its config and tokenizer files.
    /// </summary>
    public static async Task WriteAsync(string original, string checkpoint, bool weightsAsParameters = false)
    {
        Directory.CreateDirectory(checkpoint);
        var writer = new PyTorchCheckpointWriter();
        foreach (var (name, shape, data) in await TinyCheckpoint.ReadFloat32Async(original))
        {
            writer.Add(name, "float32", shape, data, parameter: weightsAsParameters && name.EndsWith(".weight", StringComparison.Ordinal));
        }

        writer.Write(Path.Combine(checkpoint, "pytorch_model.bin"));
        TinyCheckpoint.CopySideFiles(original, checkpoint);
    }
}
