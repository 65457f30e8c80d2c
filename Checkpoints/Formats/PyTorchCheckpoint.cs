namespace Checkpoints.Formats;

/// <summary>PyTorch <c>.bin</c> checkpoints (a zip holding a pickle and raw storages), read without executing any code.</summary>
public static class PyTorchCheckpoint
{
    public static IReadOnlyList<CheckpointTensor> ReadIndex(string path) =>
        throw new NotSupportedException($"{path}: PyTorch .bin checkpoints are not supported yet.");
}
