using System.Net;
using System.Net.Http.Headers;
using Tensorizer.Format;

namespace Tensorizer.Sources;

/// <summary>
/// A file served over HTTP(S), read with Range requests; concurrent reads share the client's pooled connections.
/// A response cut mid-body, a timeout or a 5xx is retried with backoff, resuming at the first byte not yet received.
/// </summary>
public sealed class HttpRangeSource : IRangeSource
{
    private readonly HttpClient _client;
    private readonly bool _ownsClient;
    private readonly int _maxAttempts;

    private HttpRangeSource(HttpClient client, bool ownsClient, Uri uri, long length, int maxAttempts)
    {
        _client = client;
        _ownsClient = ownsClient;
        Uri = uri;
        Length = length;
        _maxAttempts = maxAttempts;
    }

    public Uri Uri { get; }

    public string Location => Uri.GetLeftPart(UriPartial.Path);

    public long Length { get; }

    /// <summary>Learns the length with a one-byte ranged GET; refuses servers that ignore Range.</summary>
    public static async Task<HttpRangeSource> OpenAsync(Uri uri, HttpClient? client = null, int maxAttempts = 5, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var owns = client is null;
        client ??= new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, AutomaticDecompression = DecompressionMethods.None });
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.Range = new RangeHeaderValue(0, 0);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                throw new TensorizerUnsupportedException($"{uri.GetLeftPart(UriPartial.Path)}: the server ignores Range requests (200 instead of 206).");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new TensorizerException($"{uri.GetLeftPart(UriPartial.Path)}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
            }

            var length = response.Content.Headers.ContentRange?.Length
                ?? throw new TensorizerFormatException($"{uri.GetLeftPart(UriPartial.Path)}: a 206 response without a total length in Content-Range.");
            return new HttpRangeSource(client, owns, uri, length, maxAttempts);
        }
        catch when (owns)
        {
            client.Dispose();
            throw;
        }
    }

    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (offset < 0 || destination.Length > Length - offset)
        {
            throw new TensorizerFormatException($"{Location} is truncated: needed {destination.Length} bytes at offset {offset} of {Length}.");
        }

        // Attempts count failures since the last byte of progress, so a server that keeps cutting still converges.
        var received = 0;
        for (var failures = 0; received < destination.Length;)
        {
            try
            {
                var got = await ReadOnceAsync(offset + received, destination[received..], cancellationToken).ConfigureAwait(false);
                received += got > 0 ? got : throw new IOException($"{Location}: the response body ended before any byte of the range.");
                failures = 0;
            }
            catch (Exception e) when (IsTransient(e, cancellationToken) && ++failures < _maxAttempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100 * (1 << (failures - 1))), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One ranged GET; returns how many bytes arrived (fewer when the body was cut), throws on bad responses.</summary>
    private async Task<int> ReadOnceAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Uri);
        request.Headers.Range = new RangeHeaderValue(offset, offset + destination.Length - 1);
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if ((int)response.StatusCode >= 500)
        {
            throw new HttpRequestException($"{Location}: HTTP {(int)response.StatusCode}", null, response.StatusCode);
        }

        var range = response.Content.Headers.ContentRange;
        if (response.StatusCode != HttpStatusCode.PartialContent || range?.From != offset || range.To != offset + destination.Length - 1 || range.Length != Length)
        {
            throw new TensorizerFormatException(
                $"{Location}: asked for bytes {offset}-{offset + destination.Length - 1} of {Length}, got HTTP {(int)response.StatusCode} with Content-Range '{range}'.");
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var received = 0;
        try
        {
            while (received < destination.Length)
            {
                var read = await body.ReadAsync(destination[received..], cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                received += read;
            }
        }
        catch (Exception e) when (received > 0 && IsTransient(e, cancellationToken))
        {
            // The connection dropped mid-body: keep what arrived, the caller resumes after it.
        }

        return received;
    }

    private static bool IsTransient(Exception e, CancellationToken cancellationToken) =>
        e is HttpRequestException or IOException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested);

    public ValueTask DisposeAsync()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
