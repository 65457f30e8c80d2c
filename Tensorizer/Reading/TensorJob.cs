using Tensorizer.Format;

namespace Tensorizer.Reading;

/// <summary>
/// One tensor being loaded: its index entry, the source that holds it (a <c>.tensors</c> file, or one shard of a
/// safetensors checkpoint), where its bytes go and, when verifying, its hash. A safetensors tensor has no header
/// of its own (<paramref name="hasHeader"/> false): only its data is read.
/// </summary>
internal sealed class TensorJob(TensorEntry entry, ITensorTarget target, HashBaton? hash, Sources.IRangeSource source, bool hasHeader = true)
{
    private long _unread = entry.DataLength;

    public TensorEntry Entry { get; } = entry;

    public ITensorTarget Target { get; } = target;

    public HashBaton? Hash { get; } = hash;

    public Sources.IRangeSource Source { get; } = source;

    public bool HasHeader { get; } = hasHeader;

    /// <summary>Set from the header in encrypted files, before any of the tensor's data is queued.</summary>
    public Crypto.TensorDecryptor? Decryptor { get; set; }

    /// <summary>Signalled once the header is parsed; the producer of an encrypted file waits on it to size reads to boxes.</summary>
    public TaskCompletionSource HeaderParsed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Counts a chunk as read; true when it was the tensor's last.</summary>
    public bool CountRead(int length) => Interlocked.Add(ref _unread, -length) == 0;
}

/// <summary>
/// A unit of parallel reading: a tensor's header (<see cref="Offset"/> -1, into its own small buffer) or a range of
/// its data (into the target's memory).
/// </summary>
internal readonly record struct Chunk(TensorJob Job, long Offset, Memory<byte> Memory)
{
    public bool IsHeader => Offset < 0;

    public long FileOffset => IsHeader ? Job.Entry.HeaderOffset : Job.Entry.DataOffset + Offset;
}
