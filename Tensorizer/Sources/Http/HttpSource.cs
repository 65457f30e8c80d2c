using System.Net;
using System.Net.Http.Headers;
using Tensorizer.Format;

namespace Tensorizer.Sources.Http;

/// <summary>
/// Opens a file served over HTTP(S). A server that honours Range gets parallel ranged reads
/// (<see cref="HttpRangeSource"/>); one that ignores it (200 instead of 206) is read as one forward stream
/// (<see cref="HttpStreamSource"/>), the body of that very first response. Redirects (presigned URLs, CDNs) are followed.
/// </summary>
public static class HttpSource
{
    public static async Task<IRangeSource> OpenAsync(Uri uri, HttpSourceOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        options ??= HttpSourceOptions.Default;
        var client = new HttpConnection(uri, options);
        HttpResponseMessage? response = null;
        try
        {
            response = await client.SendAsync(new RangeHeaderValue(0, 0), cancellationToken).ConfigureAwait(false);
            var location = uri.GetLeftPart(UriPartial.Path);
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
                default:
                    throw new TensorizerException($"{location}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
            }
        }
        catch
        {
            response?.Dispose();
            client.Dispose();
            throw;
        }
    }
}
