using System.Net;
using System.Net.Http.Headers;
using Tensorizer.Format;

namespace Tensorizer.Sources.Http;

/// <summary>
/// Opens a file served over HTTP(S). A server that honours Range gets parallel ranged reads
/// (<see cref="HttpRangeSource"/>); one that ignores it (200 instead of 206) is read as one forward stream
/// (<see cref="HttpStreamSource"/>), the body of that very first response. Redirects (presigned URLs, CDNs) are followed.
/// The opening request retries like every later one (<see cref="HttpRetry"/>); 401, 403 and 404 fail at once.
/// </summary>
public static class HttpSource
{
    public static async Task<IRangeSource> OpenAsync(Uri uri, HttpSourceOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        options ??= HttpSourceOptions.Default;
        var client = new HttpConnection(uri, options);
        try
        {
            for (var failures = 0; ;)
            {
                try
                {
                    return await OpenOnceAsync(client, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (HttpRetry.IsTransient(e, cancellationToken) && ++failures < options.MaxAttempts)
                {
                    await HttpRetry.DelayAsync(e, failures, options, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>One probe of the first byte: its answer says the length and whether ranges work.</summary>
    private static async Task<IRangeSource> OpenOnceAsync(HttpConnection client, CancellationToken cancellationToken)
    {
        HttpResponseMessage? response = null;
        try
        {
            // The timeout covers the response headers only: a stream source keeps reading this response's body.
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(client.Options.RequestTimeout);
                response = await client.SendAsync(new RangeHeaderValue(0, 0), timeout.Token).ConfigureAwait(false);
            }

            var location = client.Location;
            HttpRetry.ThrowIfTransient(response, location);
            switch (response.StatusCode)
            {
                case HttpStatusCode.PartialContent:
                    var length = response.Content.Headers.ContentRange?.Length
                        ?? throw new TensorizerFormatException($"{location}: a 206 response without a total length in Content-Range.");
                    var etag = response.Headers.ETag;
                    response.Dispose();
                    return new HttpRangeSource(client, length, etag);
                case HttpStatusCode.OK:
                    var streamLength = response.Content.Headers.ContentLength
                        ?? throw new TensorizerUnsupportedException($"{location}: the server supports neither Range nor Content-Length.");
                    return await HttpStreamSource.StartAsync(client, response, streamLength, cancellationToken).ConfigureAwait(false);
                case HttpStatusCode.RequestedRangeNotSatisfiable:
                    throw new TensorizerFormatException($"{location} is empty.");
                case HttpStatusCode.NotFound:
                    throw new TensorizerException($"{location}: HTTP 404 Not Found: no file at this URL.");
                case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                    throw new TensorizerException(
                        $"{location}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}: access denied; check the token or the URL's signature.");
                default:
                    throw new TensorizerException($"{location}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
            }
        }
        catch
        {
            response?.Dispose();
            throw;
        }
    }
}
