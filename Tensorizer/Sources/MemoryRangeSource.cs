using Tensorizer.Format;

namespace Tensorizer.Sources;

/// <summary>Bytes already in memory: tests, and files fetched whole.</summary>
public sealed class MemoryRangeSource(ReadOnlyMemory<byte> bytes, string location = "memory") : IRangeSource
{
    public string Location { get; } = location;

    public long Length => bytes.Length;

    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (offset < 0 || offset > bytes.Length || destination.Length > bytes.Length - offset)
        {
            throw new TensorizerFormatException(
                $"{Location} is truncated: needed {destination.Length} bytes at offset {offset} of {bytes.Length}.");
        }

        bytes.Slice((int)offset, destination.Length).CopyTo(destination);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
