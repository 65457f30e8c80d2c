using Tensorizer.Format;

namespace Tensorizer.Sources;

/// <summary>One way to name a model location: a path or <c>file://</c>, or <c>http(s)://</c>.</summary>
public static class RangeSources
{
    public static async Task<IRangeSource> OpenAsync(string location, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (!location.Contains("://", StringComparison.Ordinal))
        {
            return new FileRangeSource(location);
        }

        var uri = new Uri(location);
        return uri.Scheme switch
        {
            "file" => new FileRangeSource(uri.LocalPath),
            "http" or "https" => await Http.HttpSource.OpenAsync(uri, cancellationToken: cancellationToken).ConfigureAwait(false),
            _ => throw new TensorizerUnsupportedException($"Unsupported location scheme '{uri.Scheme}://' in '{location}'; use a path, file://, http:// or https://."),
        };
    }
}
