using Tensorizer.Sources;

namespace Tensorizer.Reading;

/// <summary>Opens weights by their location's name: <c>*.safetensors</c> or a <c>*.json</c> shard index as safetensors, anything else as <c>.tensors</c>.</summary>
public static class TensorCheckpoints
{
    /// <summary>Whether the location names safetensors (a file or a shard index) rather than a <c>.tensors</c> file.</summary>
    public static bool IsSafetensors(string location)
    {
        var path = PathOf(location);
        return path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The path part of a location: a URL's without its query (a presigned URL's signature).</summary>
    internal static string PathOf(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        return location.Contains("://", StringComparison.Ordinal) && !location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase)
            ? new Uri(location).AbsolutePath
            : location;
    }

    /// <summary>Opens a path, <c>file://</c>, <c>http(s)://</c> or <c>s3://</c> location of either format.</summary>
    /// <param name="shardLocation">Where a shard index's shards are, by name (see <see cref="SafetensorsCheckpoint.OpenAsync(string, SourceOptions?, Func{string, string}?, CancellationToken)"/>).</param>
    public static async Task<ITensorCheckpoint> OpenAsync(
        string location, SourceOptions? options = null, Func<string, string>? shardLocation = null, CancellationToken cancellationToken = default) =>
        IsSafetensors(location)
            ? await SafetensorsCheckpoint.OpenAsync(location, options, shardLocation, cancellationToken).ConfigureAwait(false)
            : await TensorFile.OpenAsync(await RangeSources.OpenAsync(location, options, cancellationToken).ConfigureAwait(false), ownsSource: true, cancellationToken).ConfigureAwait(false);
}
