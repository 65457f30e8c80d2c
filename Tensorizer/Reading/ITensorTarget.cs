namespace Tensorizer.Reading;

/// <summary>
/// Where one tensor's bytes go. A CPU target hands out slices of the tensor's own memory (zero copy); a GPU target
/// hands out pinned staging buffers and copies each to the device on release. Calls come from reader threads.
/// </summary>
public interface ITensorTarget
{
    /// <summary>Memory for data bytes [offset, offset + length). May block until staging memory is free.</summary>
    Memory<byte> Acquire(long offset, int length, CancellationToken cancellationToken);

    /// <summary>The chunk is final: read and, when verifying, hashed (then in file order).</summary>
    void Release(long offset, Memory<byte> chunk);
}
