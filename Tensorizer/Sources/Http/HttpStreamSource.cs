using Tensorizer.Format;

namespace Tensorizer.Sources.Http;

/// <summary>
/// A file from a server that ignores Range: one forward stream, read by one reader at a time in file order (the
/// loader asks for exactly that from a source with <see cref="MaxConcurrentReads"/> 1). Gaps are skipped by reading
/// through them; a read behind the stream, or a retry after a dropped connection, restarts it and skips ahead.
/// </summary>
public sealed class HttpStreamSource : IRangeSource
{
    private const int SkipBufferSize = 1 << 20;
    private readonly HttpConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private HttpResponseMessage? _response;
    private Stream? _body;
    private long _position;

    private HttpStreamSource(HttpConnection connection, long length)
    {
        _connection = connection;
        Length = length;
    }

    public string Location => _connection.Location;

    public long Length { get; }

    public int MaxConcurrentReads => 1;

    internal static async Task<HttpStreamSource> StartAsync(HttpConnection connection, HttpResponseMessage response, long length, CancellationToken cancellationToken)
    {
        var source = new HttpStreamSource(connection, length) { _response = response };
        source._body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return source;
    }

    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (offset < 0 || destination.Length > Length - offset)
        {
            throw new TensorizerFormatException($"{Location} is truncated: needed {destination.Length} bytes at offset {offset} of {Length}.");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var failures = 0; ; failures++)
            {
                try
                {
                    await ReadAtAsync(offset, destination, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (HttpRetry.IsTransient(e, cancellationToken) && failures + 1 < _connection.Options.MaxAttempts)
                {
                    Close();
                    await HttpRetry.DelayAsync(e, failures + 1, _connection.Options, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ReadAtAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (_body is null || offset < _position)
        {
            await RestartAsync(cancellationToken).ConfigureAwait(false);
        }

        var skip = new byte[(int)Math.Min(SkipBufferSize, Math.Max(0, offset - _position))];
        while (_position < offset)
        {
            _position += await ReadSomeAsync(skip.AsMemory(0, (int)Math.Min(skip.Length, offset - _position)), cancellationToken).ConfigureAwait(false);
        }

        for (var received = 0; received < destination.Length;)
        {
            var read = await ReadSomeAsync(destination[received..], cancellationToken).ConfigureAwait(false);
            received += read;
            _position += read;
        }
    }

    private async Task<int> ReadSomeAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = await _body!.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return read > 0 ? read : throw new IOException($"{Location}: the stream ended at byte {_position} of {Length}.");
    }

    private async Task RestartAsync(CancellationToken cancellationToken)
    {
        Close();
        _response = await _connection.SendAsync(range: null, cancellationToken).ConfigureAwait(false);
        HttpRetry.ThrowIfTransient(_response, Location);

        if (!_response.IsSuccessStatusCode || _response.Content.Headers.ContentLength != Length)
        {
            throw new TensorizerException($"{Location}: restarting the stream gave HTTP {(int)_response.StatusCode}, length {_response.Content.Headers.ContentLength} (expected {Length}).");
        }

        _body = await _response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        _position = 0;
    }

    private void Close()
    {
        _body?.Dispose();
        _response?.Dispose();
        _body = null;
        _response = null;
    }

    public ValueTask DisposeAsync()
    {
        Close();
        _gate.Dispose();
        _connection.Dispose();
        return ValueTask.CompletedTask;
    }
}
