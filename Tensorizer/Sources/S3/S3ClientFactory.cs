using Amazon.Runtime;
using Amazon.S3;

namespace Tensorizer.Sources.S3;

/// <summary>Builds S3 clients for reading and writing <c>.tensors</c> objects, from explicit settings or the environment.</summary>
public static class S3ClientFactory
{
    /// <summary>
    /// A client configured from <paramref name="settings"/> (by default <see cref="S3Settings.FromEnvironment"/>):
    /// SDK standard-mode retries, a connection limit that admits many parallel range reads, path-style addressing for
    /// custom endpoints, and the SDK's credential chain when no keys are given.
    /// </summary>
    public static IAmazonS3 Create(S3Settings? settings = null)
    {
        settings ??= S3Settings.FromEnvironment();
        ArgumentOutOfRangeException.ThrowIfNegative(settings.MaxErrorRetry);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MaxConnectionsPerServer, 1);
        var config = new AmazonS3Config
        {
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = settings.MaxErrorRetry,
            MaxConnectionsPerServer = settings.MaxConnectionsPerServer,
            // The settings already resolved the endpoint; the SDK must not re-read AWS_ENDPOINT_URL behind them.
            IgnoreConfiguredEndpointUrls = true,
        };
        if (settings.Endpoint is { } endpoint)
        {
            // S3-compatible stores rarely resolve virtual-host buckets (bucket.localhost): address by path.
            config.ServiceURL = endpoint.ToString();
            config.ForcePathStyle = true;
            config.AuthenticationRegion = settings.Region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(settings.Region);
        }

        if (!settings.VerifySsl)
        {
            config.HttpClientFactory = new InsecureHttpClientFactory();
        }

        return Credentials(settings) is { } credentials ? new AmazonS3Client(credentials, config) : new AmazonS3Client(config);
    }

    /// <summary>Anonymous, explicit keys, or null for the SDK's chain (profiles, web identity, container, instance).</summary>
    private static AWSCredentials? Credentials(S3Settings settings)
    {
        if (settings.Anonymous)
        {
            return new AnonymousAWSCredentials();
        }

        if (settings.AccessKeyId is null && settings.SecretAccessKey is null)
        {
            return null;
        }

        if (settings.AccessKeyId is null || settings.SecretAccessKey is null)
        {
            throw new ArgumentException("S3 settings need both AccessKeyId and SecretAccessKey, or neither to use the AWS credential chain.", nameof(settings));
        }

        return settings.SessionToken is { Length: > 0 } token
            ? new SessionAWSCredentials(settings.AccessKeyId, settings.SecretAccessKey, token)
            : new BasicAWSCredentials(settings.AccessKeyId, settings.SecretAccessKey);
    }
}
