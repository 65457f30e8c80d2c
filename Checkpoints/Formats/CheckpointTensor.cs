using Tensorizer.Format;

namespace Checkpoints.Formats;

/// <summary>A tensor in a source checkpoint: where its bytes are and what they hold.</summary>
public sealed record CheckpointTensor(string Name, TensorElementType Type, long[] Shape, string File, long Offset, long Length);
