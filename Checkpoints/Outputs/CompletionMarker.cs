using System.Text.Json;
using Amazon.S3;
using S3Location = Tensorizer.Sources.S3.S3Location;

namespace Checkpoints.Outputs;

/// <summary>
/// <c>.tensorizer-complete.json</c>, written last: its presence means the model folder is whole, and its content
/// says from which source revision and dtype, and with which encryption (<see cref="EncryptionLabel"/>; null: plain, as
/// every marker written before encryption), so an identical conversion can be skipped.
/// </summary>
public sealed record CompletionMarker(string Source, string Revision, string Dtype, int Tensors, long Bytes, string? Encryption = null)
{
    public const string FileName = ".tensorizer-complete.json";

    public bool SameConversion(CompletionMarker other) =>
        other is not null && other.Source == Source && other.Revision == Revision && other.Dtype == Dtype && other.Encryption == Encryption;

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this);

    /// <summary>The marker of a model folder, or null when it has none (not complete).</summary>
    public static async Task<CompletionMarker?> ReadAsync(string modelFolder, CancellationToken cancellationToken)
    {
        var path = Path.Combine(modelFolder, FileName);
        return File.Exists(path) ? FromJson(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false)) : null;
    }

    /// <summary>The marker of a model under an S3 prefix, or null when it has none (not complete).</summary>
    public static async Task<CompletionMarker?> ReadAsync(IAmazonS3 client, S3Location modelPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(modelPrefix);
        var marker = modelPrefix.Child(FileName);
        try
        {
            using var response = await client.GetObjectAsync(marker.Bucket, marker.Key, cancellationToken).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return FromJson(buffer.ToArray());
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>The marker, or null when it is unreadable (which means: not complete).</summary>
    public static CompletionMarker? FromJson(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize<CompletionMarker>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
