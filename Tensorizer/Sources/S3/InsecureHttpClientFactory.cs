using System.Net;
using Amazon.Runtime;

namespace Tensorizer.Sources.S3;

/// <summary>
/// HTTP clients that accept any server certificate, for in-cluster stores with self-signed certificates when the
/// operator asked for it (<c>S3_VERIFY_SSL=0</c>). The SDK's own settings it would otherwise apply are copied over.
/// </summary>
internal sealed class InsecureHttpClientFactory : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        ArgumentNullException.ThrowIfNull(clientConfig);
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = clientConfig.MaxConnectionsPerServer ?? int.MaxValue,
            AllowAutoRedirect = clientConfig.AllowAutoRedirect,
            AutomaticDecompression = DecompressionMethods.None,
        };
#pragma warning disable CA5359 // Disabling validation is the point: only built when S3_VERIFY_SSL=0 or VerifySsl = false.
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        if (clientConfig.GetWebProxy() is { } proxy)
        {
            handler.Proxy = proxy;
        }

        if (clientConfig.ConnectTimeout is { } connectTimeout)
        {
            handler.ConnectTimeout = connectTimeout;
        }

        var client = new HttpClient(handler, disposeHandler: true);
        if (clientConfig.Timeout is { } timeout)
        {
            client.Timeout = timeout;
        }

        return client;
    }

    /// <summary>Null keeps these clients cached per SDK client, never shared globally with verifying clients.</summary>
    public override string? GetConfigUniqueString(IClientConfig clientConfig) => null;
}
