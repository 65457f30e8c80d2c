using Tensorizer.Format;

namespace Tensorizer.Reading;

/// <summary>One tensor being loaded: its index entry, where its bytes go and, when verifying, its hash.</summary>
internal sealed class TensorJob(TensorEntry entry, ITensorTarget target, HashBaton? hash)
{
    private long _unread = entry.DataLength;

    public TensorEntry Entry { get; } = entry;

    public ITensorTarget Target { get; } = target;

    public HashBaton? Hash { get; } = hash;

    /// <summary>Counts a chunk as read; true when it was the tensor's last.</summary>
    public bool CountRead(int length) => Interlocked.Add(ref _unread, -length) == 0;
}

/// <summary>A range of one tensor's data, the unit of parallel reading.</summary>
internal readonly record struct Chunk(TensorJob Job, long Offset, int Length, Memory<byte> Memory);
