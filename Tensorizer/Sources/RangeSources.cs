using Tensorizer.Format;
using Tensorizer.Sources.Http;
using Tensorizer.Sources.S3;

namespace Tensorizer.Sources;

/// <summary>How to reach remote locations; each part applies only to its scheme.</summary>
public sealed record SourceOptions
{
    public HttpSourceOptions Http { get; init; } = HttpSourceOptions.Default;

    /// <summary>S3 settings; null reads them from the environment (the variables KServe sets) when needed.</summary>
    public S3Settings? S3 { get; init; }

    public static SourceOptions Default { get; } = new();
}

/// <summary>One way to name a model location everywhere: a path or <c>file://</c>, <c>http(s)://</c>, <c>s3://bucket/key</c>.</summary>
public static class RangeSources
{
    public static async Task<IRangeSource> OpenAsync(string location, SourceOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(location);
        options ??= SourceOptions.Default;
        if (!location.Contains("://", StringComparison.Ordinal))
        {
            return new FileRangeSource(location);
        }

        if (S3Location.IsS3Uri(location))
        {
            var s3Location = S3Location.Parse(location); // before a client exists, so a malformed one leaks nothing
            var client = S3ClientFactory.Create(options.S3 ?? S3Settings.FromEnvironment());
            return await S3RangeSource.OpenAsync(client, s3Location, ownsClient: true, cancellationToken).ConfigureAwait(false);
        }

        var uri = new Uri(location);
        return uri.Scheme switch
        {
            "file" => new FileRangeSource(uri.LocalPath),
            "http" or "https" => await HttpSource.OpenAsync(uri, options.Http, cancellationToken).ConfigureAwait(false),
            _ => throw new TensorizerUnsupportedException(
                $"Unsupported location scheme '{uri.Scheme}://' in '{location}'; use a path, file://, http(s):// or s3://bucket/key."),
        };
    }
}
