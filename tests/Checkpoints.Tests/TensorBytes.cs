using Checkpoints.Conversion;
using Checkpoints.Formats;

namespace Checkpoints.Tests;

/// <summary>A checkpoint tensor's bytes as the converter reads them (no cast).</summary>
internal static class TensorBytes
{
    public static byte[] Read(CheckpointTensor tensor) => new TensorCasting([tensor], dtype: null).ReadAndConvert(tensor).ToArray();
}
