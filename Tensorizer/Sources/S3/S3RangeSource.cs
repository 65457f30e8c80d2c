using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Tensorizer.Format;

namespace Tensorizer.Sources.S3;

/// <summary>
/// An S3 object read with ranged GETs; any number of readers share the client's pooled connections. Reads are
/// pinned to the ETag seen on open, so an object replaced mid-load fails clearly instead of mixing two versions.
/// Failed requests are retried by the SDK (see <see cref="S3ClientFactory"/>).
/// </summary>
public sealed class S3RangeSource : IRangeSource
{
    private readonly IAmazonS3 _client;
    private readonly bool _ownsClient;

    private S3RangeSource(IAmazonS3 client, bool ownsClient, S3Location s3Location, long length, string? etag)
    {
        _client = client;
        _ownsClient = ownsClient;
        S3Location = s3Location;
        Length = length;
        ETag = etag;
    }

    public S3Location S3Location { get; }

    public string Location => S3Location.ToString();

    public long Length { get; }

    /// <summary>The object's ETag when opened; every read requires it to still match.</summary>
    public string? ETag { get; }

    public static Task<S3RangeSource> OpenAsync(IAmazonS3 client, S3Location location, CancellationToken cancellationToken = default) =>
        OpenAsync(client, location, ownsClient: false, cancellationToken);

    /// <summary>Learns the length and ETag with a HEAD request; with <paramref name="ownsClient"/> the source disposes the client.</summary>
    /// <exception cref="TensorizerException">No such key or bucket, access denied, or another S3 error, naming the object.</exception>
    public static async Task<S3RangeSource> OpenAsync(IAmazonS3 client, S3Location location, bool ownsClient, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(location);
        try
        {
            if (location.IsPrefix)
            {
                throw new ArgumentException($"{location} is a prefix, not an object.", nameof(location));
            }

            var metadata = await HeadAsync(client, location, cancellationToken).ConfigureAwait(false);
            return new S3RangeSource(client, ownsClient, location, metadata.ContentLength, metadata.ETag);
        }
        catch when (ownsClient)
        {
            client.Dispose();
            throw;
        }
    }

    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (offset < 0 || offset > Length || destination.Length > Length - offset)
        {
            throw new TensorizerFormatException($"{Location} is truncated: needed {destination.Length} bytes at offset {offset} of {Length}.");
        }

        if (destination.IsEmpty)
        {
            return;
        }

        var request = new GetObjectRequest
        {
            BucketName = S3Location.Bucket,
            Key = S3Location.Key,
            ByteRange = new ByteRange(offset, offset + destination.Length - 1),
            EtagToMatch = ETag,
        };
        GetObjectResponse response;
        try
        {
            response = await _client.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonServiceException e)
        {
            throw S3Errors.Translate(e, S3Location, ETag);
        }

        using (response)
        {
            if (response.ContentLength != destination.Length)
            {
                throw new TensorizerFormatException(
                    $"{Location}: asked for bytes {request.ByteRange.Start}-{request.ByteRange.End}, got {response.ContentLength} bytes ({response.ContentRange}).");
            }

            await using var body = response.ResponseStream;
            await body.ReadExactlyAsync(destination, cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private static async Task<GetObjectMetadataResponse> HeadAsync(IAmazonS3 client, S3Location location, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetObjectMetadataAsync(location.Bucket, location.Key, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonServiceException e) when (S3Errors.NeedsDiagnosis(e))
        {
            throw await DiagnoseAsync(client, location, e, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonServiceException e)
        {
            throw S3Errors.Translate(e, location);
        }
    }

    /// <summary>Repeats a failed HEAD as a one-byte GET, whose error body names the cause (no such bucket, bad key id).</summary>
    private static async Task<TensorizerException> DiagnoseAsync(IAmazonS3 client, S3Location location, AmazonServiceException head, CancellationToken cancellationToken)
    {
        try
        {
            var request = new GetObjectRequest { BucketName = location.Bucket, Key = location.Key, ByteRange = new ByteRange(0, 0) };
            using var response = await client.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
            return S3Errors.Translate(head, location);
        }
        catch (AmazonServiceException e)
        {
            return S3Errors.Translate(e, location);
        }
    }
}
