using Amazon.S3;
using Amazon.S3.Model;
using Tensorizer.Crypto;
using Tensorizer.Writing;
using S3Location = Tensorizer.Sources.S3.S3Location;

namespace Checkpoints.Outputs;

/// <summary>
/// A model under an S3 prefix. <c>model.tensors</c> streams up as a multipart upload (aborted on failure, so no
/// partial object appears); side files are plain puts; the completion marker is put last.
/// </summary>
internal sealed class S3Output(IAmazonS3 client, S3Location prefix, bool createBucket) : IModelOutput
{
    private bool _bucketReady;

    public string Location => prefix.ToString();

    private S3Location Marker => prefix.Child(CompletionMarker.FileName);

    public async Task<CompletionMarker?> ReadMarkerAsync(CancellationToken cancellationToken)
    {
        await EnsureBucketAsync(cancellationToken).ConfigureAwait(false);
        return await CompletionMarker.ReadAsync(client, prefix, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Nothing: an upload that fails is aborted, and nothing else is written before the marker's put.</summary>
    public Task RemoveLeftoversAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task BeginAsync(CancellationToken cancellationToken)
    {
        await EnsureBucketAsync(cancellationToken).ConfigureAwait(false);
        await client.DeleteObjectAsync(Marker.Bucket, Marker.Key, cancellationToken).ConfigureAwait(false);
    }

    public Task WriteTensorsAsync(IReadOnlyList<TensorToWrite> tensors, TensorEncryption? encryption, CancellationToken cancellationToken) =>
        S3TensorWriter.WriteAsync(client, prefix.Child("model.tensors"), tensors, encryption, options: null, cancellationToken);

    public Task AddFileAsync(string localPath, string name, CancellationToken cancellationToken)
    {
        var target = prefix.Child(name);
        return client.PutObjectAsync(new PutObjectRequest { BucketName = target.Bucket, Key = target.Key, FilePath = localPath }, cancellationToken);
    }

    public Task CommitAsync(CompletionMarker marker, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(marker);
        return client.PutObjectAsync(
            new PutObjectRequest { BucketName = Marker.Bucket, Key = Marker.Key, InputStream = new MemoryStream(marker.ToJson()), ContentType = "application/json" },
            cancellationToken);
    }

    public void Dispose() => client.Dispose();

    private async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        if (!createBucket || _bucketReady)
        {
            return;
        }

        try
        {
            await client.PutBucketAsync(prefix.Bucket, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }

        _bucketReady = true;
    }
}
