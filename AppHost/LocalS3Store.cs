using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace AppHost;

/// <summary>
/// With <c>--S3Store=true</c>: an S3-compatible server (moto, on 127.0.0.1) as the model store, so the converter
/// publishes to <c>s3://models/{model}/</c> and the service streams <c>model.tensors</c> from S3, as in a cluster whose
/// models live in object storage.
/// </summary>
public sealed record LocalS3Store(int Port)
{
    public const string Bucket = "models";

    public Uri Endpoint => new($"http://127.0.0.1:{Port}");

    public static LocalS3Store? FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (!configuration.GetValue("S3Store", false))
        {
            return null;
        }

        var port = configuration.GetValue("S3Port", 0);
        return new LocalS3Store(port != 0 ? port : FreePort());
    }

    public static string ModelPrefix(string model) => $"s3://{Bucket}/{model}/";

    /// <summary>What every process needs to reach it (moto accepts any key pair).</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["AWS_ENDPOINT_URL"] = Endpoint.ToString().TrimEnd('/'),
        ["AWS_ACCESS_KEY_ID"] = "testing",
        ["AWS_SECRET_ACCESS_KEY"] = "testing",
        ["AWS_REGION"] = "us-east-1",
    };

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
