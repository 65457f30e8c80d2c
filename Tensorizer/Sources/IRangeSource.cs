namespace Tensorizer.Sources;

/// <summary>
/// Bytes that can be read at any offset, concurrently: a local file now, HTTP(S) and S3 later. The reader plans
/// ranges and never knows where the bytes come from.
/// </summary>
public interface IRangeSource : IAsyncDisposable
{
    /// <summary>Where the bytes come from, for messages.</summary>
    string Location { get; }

    long Length { get; }

    /// <summary>How many reads may run at once: 1 for a source that can only stream forward.</summary>
    int MaxConcurrentReads => int.MaxValue;

    /// <summary>Fills <paramref name="destination"/> with the bytes at <paramref name="offset"/>; safe to call concurrently.</summary>
    /// <exception cref="Format.TensorizerFormatException">The range runs past the end of the source.</exception>
    ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default);
}
