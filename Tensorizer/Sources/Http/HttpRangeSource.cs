using System.Net;
using System.Net.Http.Headers;
using Tensorizer.Format;

namespace Tensorizer.Sources.Http;

/// <summary>
/// A file read with parallel HTTP Range requests over pooled connections. A 5xx, a 429, a timeout or a response cut
/// mid-body is retried as <see cref="HttpRetry"/> says, resuming at the first byte not yet received; every response's Content-Range
/// must match the request and the file's length, and its ETag the first one (the file must not change under a load).
/// </summary>
public sealed class HttpRangeSource : IRangeSource
{
    private readonly HttpConnection _connection;
    private readonly EntityTagHeaderValue? _etag;

    internal HttpRangeSource(HttpConnection connection, long length, EntityTagHeaderValue? etag)
    {
        _connection = connection;
        Length = length;
        _etag = etag;
    }

    public string Location => _connection.Location;

    public long Length { get; }

    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (offset < 0 || destination.Length > Length - offset)
        {
            throw new TensorizerFormatException($"{Location} is truncated: needed {destination.Length} bytes at offset {offset} of {Length}.");
        }

        // Failures count since the last byte of progress, so a server that keeps cutting connections still converges.
        var received = 0;
        for (var failures = 0; received < destination.Length;)
        {
            try
            {
                var got = await ReadOnceAsync(offset + received, destination[received..], cancellationToken).ConfigureAwait(false);
                received += got > 0 ? got : throw new IOException($"{Location}: the response ended before any byte of the range.");
                failures = 0;
            }
            catch (Exception e) when (HttpRetry.IsTransient(e, cancellationToken) && ++failures < _connection.Options.MaxAttempts)
            {
                await HttpRetry.DelayAsync(e, failures, _connection.Options, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One ranged GET; returns how many bytes arrived (fewer when the body was cut), throws on bad responses.</summary>
    private async Task<int> ReadOnceAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_connection.Options.RequestTimeout);
        var last = offset + destination.Length - 1;
        using var response = await _connection.SendAsync(new RangeHeaderValue(offset, last), timeout.Token).ConfigureAwait(false);
        HttpRetry.ThrowIfTransient(response, Location);
        var range = response.Content.Headers.ContentRange;
        if (response.StatusCode != HttpStatusCode.PartialContent || range?.From != offset || range.To != last || range.Length != Length)
        {
            throw new TensorizerFormatException(
                $"{Location}: asked for bytes {offset}-{last} of {Length}, got HTTP {(int)response.StatusCode} with Content-Range '{range}'.");
        }

        if (_etag is not null && response.Headers.ETag is { } etag && etag.Tag != _etag.Tag)
        {
            throw new TensorizerException($"{Location} changed during the load (ETag {_etag.Tag}, now {etag.Tag}).");
        }

        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
        var received = 0;
        try
        {
            while (received < destination.Length)
            {
                var read = await body.ReadAsync(destination[received..], timeout.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                received += read;
            }
        }
        catch (Exception e) when (received > 0 && HttpRetry.IsTransient(e, cancellationToken))
        {
            // The connection dropped or stalled mid-body: keep what arrived; the caller resumes after it.
        }

        return received;
    }

    public ValueTask DisposeAsync()
    {
        _connection.Dispose();
        return ValueTask.CompletedTask;
    }
}
