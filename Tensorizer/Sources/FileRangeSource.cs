using Microsoft.Win32.SafeHandles;
using Tensorizer.Format;

namespace Tensorizer.Sources;

/// <summary>A local file read with positional reads (<c>pread</c>), so any number of readers share one handle.</summary>
public sealed class FileRangeSource : IRangeSource
{
    private readonly SafeFileHandle _handle;

    public FileRangeSource(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Location = Path.GetFullPath(path);
        _handle = File.OpenHandle(Location, FileMode.Open, FileAccess.Read, FileShare.Read);
        Length = RandomAccess.GetLength(_handle);
    }

    public string Location { get; }

    public long Length { get; }

    /// <summary>Reads synchronously: callers are dedicated reader threads, and a blocking pread is the fastest path.</summary>
    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var span = destination.Span;
        var position = offset;
        while (!span.IsEmpty)
        {
            var read = RandomAccess.Read(_handle, span, position);
            if (read == 0)
            {
                throw new TensorizerFormatException(
                    $"{Location} is truncated: needed {destination.Length} bytes at offset {offset}, the file ends at {position}.");
            }

            span = span[read..];
            position += read;
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _handle.Dispose();
        return ValueTask.CompletedTask;
    }
}
