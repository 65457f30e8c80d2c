using System.Net;
using System.Net.Http.Headers;

namespace Tensorizer.Sources.Http;

/// <summary>The client, URL and request settings shared by every read of one HTTP source.</summary>
internal sealed class HttpConnection : IDisposable
{
    private readonly HttpClient _client;
    private readonly bool _ownsClient;

    public HttpConnection(Uri uri, HttpSourceOptions options)
    {
        Uri = uri;
        Options = options;
        _ownsClient = options.Client is null;
        _client = options.Client ?? new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 256,
            AutomaticDecompression = DecompressionMethods.None,
            AllowAutoRedirect = true,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
    }

    public Uri Uri { get; }

    public HttpSourceOptions Options { get; }

    public string Location => Uri.GetLeftPart(UriPartial.Path);

    /// <summary>Sends a GET (ranged when asked) and returns once headers arrive; the body streams afterwards.</summary>
    public async Task<HttpResponseMessage> SendAsync(RangeHeaderValue? range, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Uri);
        request.Headers.Range = range;
        // Bytes must arrive exactly as stored: no transparent compression.
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
        if (Options.BearerToken is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        foreach (var (name, value) in Options.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }
}
