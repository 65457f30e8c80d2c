using Amazon.S3;
using Amazon.S3.Model;
using Checkpoints.Outputs;
using Tensorizer.Reading;
using Tensorizer.Sources.S3;
using S3Location = Tensorizer.Sources.S3.S3Location;

namespace AdminConsole.Services.Store;

/// <summary>
/// An S3 prefix of model prefixes (<c>s3://bucket/models/{model}/model.tensors</c>), listed with a delimiter; each
/// index is read with ranged GETs of its head only. S3 is configured by the variables KServe sets (AWS_*, S3_*).
/// </summary>
public sealed class S3ModelStore(IAmazonS3 client, S3Location root) : IModelStore, IDisposable
{
    public string Location => root.ToString();

    public async Task<IReadOnlyList<StoredModel>> ListAsync(CancellationToken cancellationToken)
    {
        var prefixes = new List<string>();
        var request = new ListObjectsV2Request { BucketName = root.Bucket, Prefix = root.Key, Delimiter = "/" };
        ListObjectsV2Response page;
        do
        {
            page = await client.ListObjectsV2Async(request, cancellationToken);
            prefixes.AddRange(page.CommonPrefixes ?? []);
            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);

        var models = new List<StoredModel>();
        foreach (var prefix in prefixes.Order(StringComparer.Ordinal))
        {
            var name = prefix[root.Key.Length..].TrimEnd('/');
            if (name.StartsWith('.'))
            {
                continue;
            }

            var tensors = new S3Location(root.Bucket, prefix + Checkpoints.ModelFiles.TensorsFile);
            if (!await ExistsAsync(tensors, cancellationToken))
            {
                continue;
            }

            var marker = await CompletionMarker.ReadAsync(client, new S3Location(root.Bucket, prefix), cancellationToken);
            models.Add(await ModelSummary.ReadAsync(
                name,
                new S3Location(root.Bucket, prefix).ToString(),
                async ct => await TensorFile.OpenAsync(await S3RangeSource.OpenAsync(client, tensors, ct), ownsSource: true, ct),
                marker,
                cancellationToken));
        }

        return models;
    }

    public string OutputFor(string name) => $"{root.Child(StoreNames.Check(name))}/";

    public void Dispose() => client.Dispose();

    private async Task<bool> ExistsAsync(S3Location location, CancellationToken cancellationToken)
    {
        try
        {
            await client.GetObjectMetadataAsync(location.Bucket, location.Key, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }
}
