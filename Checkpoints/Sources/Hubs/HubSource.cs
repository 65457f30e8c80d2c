using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Checkpoints.Sources.Hubs;

/// <summary>
/// What the Hugging Face Hub and ModelScope share: JSON listings and file downloads over HTTPS with a bearer token,
/// redirects (to a CDN, which never sees the token: .NET drops <c>Authorization</c> on redirects), ranged resumes,
/// and errors that say what to do.
/// </summary>
public abstract class HubSource : RemoteSource
{
    private const long MaxListingBytes = 64 << 20;
    private readonly HttpClient _client;
    private readonly string? _token;

    protected HubSource(HubRepository repository, SourceSettings settings, string? token)
        : base(settings)
    {
        Repository = repository;
        _token = token;
        _client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 10,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(30),
        })
        { Timeout = Timeout.InfiniteTimeSpan };
    }

    protected HubRepository Repository { get; }

    public override string Location => Repository.ToString();

    /// <summary>Where the file's bytes are, at the listed revision.</summary>
    protected abstract Uri FileUri(CheckpointFile file);

    /// <summary>
    /// Where a file of the listed revision is (<see cref="RemoteSource.ListAsync"/> first), to stream it with ranged
    /// requests and <see cref="Token"/>, as the service does with a hub's weights.
    /// </summary>
    public Uri FileLocation(CheckpointFile file) => FileUri(file);

    /// <summary>The bearer token requests to the hub carry (<c>HF_TOKEN</c>, <c>MODELSCOPE_API_TOKEN</c>), if any.</summary>
    public string? Token => _token;

    /// <summary>A path under an endpoint that may itself have a path (a mirror at https://host/hf/).</summary>
    protected static Uri Under(Uri endpoint, string relative)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return new Uri(endpoint.AbsoluteUri.EndsWith('/') ? endpoint : new Uri(endpoint.AbsoluteUri + "/"), relative);
    }

    protected async Task<JsonDocument> GetJsonAsync(Uri uri, string what, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(100));
        using var response = await SendAsync(uri, range: null, timeout.Token).ConfigureAwait(false);
        EnsureSuccess(response, what);
        if (response.Content.Headers.ContentLength > MaxListingBytes)
        {
            throw new InvalidDataException($"{Location}: the {what} is larger than {MaxListingBytes >> 20} MiB.");
        }

        try
        {
            return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false), cancellationToken: timeout.Token).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{Location}: the {what} from {uri.GetLeftPart(UriPartial.Path)} is not JSON: {e.Message}", e);
        }
    }

    protected override async Task<RemoteBody> OpenAsync(CheckpointFile file, long offset, long? last, CancellationToken cancellationToken)
    {
        var range = offset > 0 || last is not null ? new RangeHeaderValue(offset, last) : null;
        var response = await SendAsync(FileUri(file), range, cancellationToken).ConfigureAwait(false);
        try
        {
            EnsureSuccess(response, $"file '{file.Path}'");
            var start = response.StatusCode == HttpStatusCode.PartialContent ? response.Content.Headers.ContentRange?.From : 0;
            if (start is null || (response.StatusCode == HttpStatusCode.PartialContent && start != offset))
            {
                throw new InvalidDataException($"{Location}: '{file.Path}' came back with Content-Range '{response.Content.Headers.ContentRange}' for a request from byte {offset}.");
            }

            var wholeFile = response.StatusCode != HttpStatusCode.PartialContent;
            return new RemoteBody(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), start.Value, wholeFile, response);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    protected override bool IsTransient(Exception exception) => base.IsTransient(exception)
        || exception is HttpRequestException { StatusCode: null or HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError }
        || exception is TaskCanceledException { InnerException: TimeoutException };

    private async Task<HttpResponseMessage> SendAsync(Uri uri, RangeHeaderValue? range, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Range = range;
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("tensorizer-downloader", "1.0"));
        if (_token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }

        return await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
    }

    private void EnsureSuccess(HttpResponseMessage response, string what)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var hint = response.StatusCode switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => " (a private or gated repository needs a token: HF_TOKEN or MODELSCOPE_API_TOKEN)",
            HttpStatusCode.NotFound => " (no such repository, revision or file)",
            _ => "",
        };
        throw new HttpRequestException(
            $"{Location}: the {what} request to {response.RequestMessage?.RequestUri?.GetLeftPart(UriPartial.Path)} answered {(int)response.StatusCode} {response.ReasonPhrase}{hint}.",
            null,
            response.StatusCode);
    }

    protected override void Dispose(bool disposing)
    {
        _client.Dispose();
        base.Dispose(disposing);
    }
}
