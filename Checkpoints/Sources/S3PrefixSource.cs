using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Tensorizer.Sources.S3;
using S3Location = Tensorizer.Sources.S3.S3Location;

namespace Checkpoints.Sources;

/// <summary>
/// <c>s3://bucket/prefix/</c>: a checkpoint folder in S3 (KServe's S3 variables configure the client). Each read
/// is pinned to the ETag the listing saw; the revision is a digest of keys, sizes and ETags.
/// </summary>
public sealed class S3PrefixSource : RemoteSource
{
    private readonly IAmazonS3 _client;
    private readonly S3Location _prefix;
    private readonly Dictionary<string, string> _etags = new(StringComparer.Ordinal);

    public S3PrefixSource(string location, SourceSettings settings)
        : base(settings)
    {
        _prefix = S3Location.ParsePrefix(location);
        _client = S3ClientFactory.Create(settings.S3 ?? S3Settings.FromEnvironment());
    }

    public override string Location => _prefix.ToString();

    public override async Task<CheckpointListing> ListAsync(CancellationToken cancellationToken)
    {
        var files = new List<CheckpointFile>();
        try
        {
            var request = new ListObjectsV2Request { BucketName = _prefix.Bucket, Prefix = _prefix.Key };
            ListObjectsV2Response response;
            do
            {
                response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
                foreach (var item in response.S3Objects ?? [])
                {
                    if (!item.Key.EndsWith('/'))
                    {
                        var relative = item.Key[_prefix.Key.Length..];
                        files.Add(new CheckpointFile(relative, item.Size ?? -1));
                        _etags[relative] = item.ETag;
                    }
                }

                request.ContinuationToken = response.NextContinuationToken;
            }
            while (response.IsTruncated == true);
        }
        catch (AmazonS3Exception e)
        {
            throw S3Errors.Translate(e, _prefix);
        }

        if (files.Count == 0)
        {
            throw new FileNotFoundException($"{Location} holds no objects.");
        }

        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', files.Select(f => $"{f.Path} {f.Size} {_etags[f.Path]}"))));
        return new CheckpointListing(Convert.ToHexStringLower(digest)[..16], files);
    }

    protected override async Task<RemoteBody> OpenAsync(CheckpointFile file, long offset, long? last, CancellationToken cancellationToken)
    {
        var location = _prefix.Child(file.Path);
        var request = new GetObjectRequest { BucketName = location.Bucket, Key = location.Key, EtagToMatch = _etags[file.Path] };
        if (offset > 0 || last is not null)
        {
            request.ByteRange = new ByteRange(offset, last ?? file.Size - 1);
        }

        try
        {
            var response = await _client.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
            return new RemoteBody(response.ResponseStream, offset, wholeFile: false, response);
        }
        catch (AmazonS3Exception e)
        {
            throw S3Errors.Translate(e, location, _etags[file.Path]);
        }
    }

    protected override void Dispose(bool disposing)
    {
        _client.Dispose();
        base.Dispose(disposing);
    }
}
