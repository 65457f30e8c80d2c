namespace Tensorizer.Sources.S3;

/// <summary>
/// How to reach S3 or an S3-compatible store. <see cref="FromEnvironment"/> reads the variables KServe's storage
/// initializer and the AWS tools use, so one secret configures the downloader and the inference service alike.
/// </summary>
public sealed record S3Settings
{
    public const string DefaultRegion = "us-east-1";

    /// <summary>With <see cref="SecretAccessKey"/>: explicit keys. Both null: the SDK's standard credential chain.</summary>
    public string? AccessKeyId { get; init; }

    public string? SecretAccessKey { get; init; }

    public string? SessionToken { get; init; }

    /// <summary>An S3-compatible endpoint (MinIO, Ceph, moto); null for AWS itself. Implies path-style addressing.</summary>
    public Uri? Endpoint { get; init; }

    public string Region { get; init; } = DefaultRegion;

    /// <summary>False accepts any server certificate: self-signed in-cluster stores (KServe's <c>S3_VERIFY_SSL=0</c>).</summary>
    public bool VerifySsl { get; init; } = true;

    /// <summary>Unsigned requests, for public buckets.</summary>
    public bool Anonymous { get; init; }

    /// <summary>Retries of a failed request by the SDK (standard mode: throttling, 5xx, connection errors).</summary>
    public int MaxErrorRetry { get; init; } = 5;

    /// <summary>Concurrent connections to the endpoint: parallel range readers and part uploads each hold one.</summary>
    public int MaxConnectionsPerServer { get; init; } = 128;

    /// <summary>
    /// Reads <c>AWS_ACCESS_KEY_ID</c>, <c>AWS_SECRET_ACCESS_KEY</c>, <c>AWS_SESSION_TOKEN</c>, the endpoint from
    /// <c>AWS_ENDPOINT_URL_S3</c>, <c>AWS_ENDPOINT_URL</c> or KServe's <c>S3_ENDPOINT</c> (host[:port], with
    /// <c>S3_USE_HTTPS=0</c> for http), <c>AWS_REGION</c> or <c>AWS_DEFAULT_REGION</c>, <c>S3_VERIFY_SSL</c>, and
    /// <c>AWS_NO_SIGN_REQUEST</c> (or KServe's <c>awsAnonymousCredential</c>) for anonymous access.
    /// </summary>
    /// <param name="getenv">Looks a variable up; <see cref="Environment.GetEnvironmentVariable(string)"/> by default.</param>
    /// <exception cref="ArgumentException">A variable holds something unusable (half a key pair, a malformed endpoint).</exception>
    public static S3Settings FromEnvironment(Func<string, string?>? getenv = null)
    {
        getenv ??= Environment.GetEnvironmentVariable;
        string? Get(string name) => getenv(name) is { Length: > 0 } value ? value.Trim() : null;

        var accessKey = Get("AWS_ACCESS_KEY_ID");
        var secretKey = Get("AWS_SECRET_ACCESS_KEY");
        if ((accessKey is null) != (secretKey is null))
        {
            throw new ArgumentException(
                $"Only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set; set both, or neither to use the AWS credential chain.");
        }

        var useHttps = !IsFalse(Get("S3_USE_HTTPS"));
        var endpoint = (Get("AWS_ENDPOINT_URL_S3") ?? Get("AWS_ENDPOINT_URL") ?? Get("S3_ENDPOINT")) is { } text
            ? ParseEndpoint(text, useHttps)
            : null;

        return new S3Settings
        {
            AccessKeyId = accessKey,
            SecretAccessKey = secretKey,
            SessionToken = accessKey is null ? null : Get("AWS_SESSION_TOKEN"),
            Endpoint = endpoint,
            Region = Get("AWS_REGION") ?? Get("AWS_DEFAULT_REGION") ?? DefaultRegion,
            VerifySsl = !IsFalse(Get("S3_VERIFY_SSL")),
            Anonymous = IsTrue(Get("AWS_NO_SIGN_REQUEST")) || IsTrue(Get("awsAnonymousCredential")),
        };
    }

    /// <summary>A full URL, or KServe's bare host[:port] with the scheme chosen by <c>S3_USE_HTTPS</c>.</summary>
    internal static Uri ParseEndpoint(string text, bool useHttps)
    {
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : $"{(useHttps ? "https" : "http")}://{text}";
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            throw new ArgumentException($"'{text}' is not a usable S3 endpoint: expected http(s)://host[:port] or host[:port].", nameof(text));
        }

        return uri;
    }

    private static bool IsTrue(string? value) => value is not null && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));

    private static bool IsFalse(string? value) => value is not null && (value == "0" || value.Equals("false", StringComparison.OrdinalIgnoreCase));
}
