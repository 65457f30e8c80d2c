using Tensorizer.Format;

namespace Tensorizer.Reading;

/// <summary>One tensor being loaded: its index entry, where its bytes go and, when verifying, its hash.</summary>
internal sealed record TensorJob(TensorEntry Entry, ITensorTarget Target, HashBaton? Hash);

/// <summary>A range of one tensor's data, the unit of parallel reading.</summary>
internal readonly record struct Chunk(TensorJob Job, long Offset, int Length, Memory<byte> Memory);
