using Amazon.S3;
using Tensorizer.Sources.S3;

namespace Tensorizer.Writing;

/// <summary>Writes a <c>.tensors</c> file straight to S3 as a multipart upload, never whole in memory or on disk.</summary>
public static class S3TensorWriter
{
    /// <summary>
    /// Streams the file to <paramref name="location"/>; the object appears only once every byte is uploaded. A failure
    /// or cancellation aborts the upload and leaves nothing behind. The part size grows when the file would need more
    /// than S3's 10,000 parts.
    /// </summary>
    public static Task WriteAsync(
        IAmazonS3 client,
        S3Location location,
        IReadOnlyList<TensorToWrite> tensors,
        S3UploadOptions? options = null,
        CancellationToken cancellationToken = default) =>
        WriteAsync(client, location, tensors, encryption: null, options, cancellationToken);

    /// <summary>As above, encrypting every tensor's data as upstream does when <paramref name="encryption"/> is given.</summary>
    public static async Task WriteAsync(
        IAmazonS3 client,
        S3Location location,
        IReadOnlyList<TensorToWrite> tensors,
        Crypto.TensorEncryption? encryption,
        S3UploadOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        // Plans (and so validates) before any request: bad input fails without touching S3.
        var length = TensorWriter.FileLength(tensors, encryption);
        await using var upload = new S3UploadStream(client, location, (options ?? new S3UploadOptions()).ForLength(length));
        await TensorWriter.WriteAsync(upload, tensors, encryption, cancellationToken).ConfigureAwait(false);
        await upload.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    public static Task WriteAsync(IAmazonS3 client, S3Location location, IReadOnlyList<TensorToWrite> tensors, CancellationToken cancellationToken) =>
        WriteAsync(client, location, tensors, encryption: null, options: null, cancellationToken);
}
