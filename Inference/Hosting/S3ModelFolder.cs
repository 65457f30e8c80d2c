using System.Net;
using Amazon.S3;
using Checkpoints.Outputs;
using Models;
using Tensorizer.Sources.S3;
using S3Location = Tensorizer.Sources.S3.S3Location;

namespace Inference.Hosting;

/// <summary>
/// <c>MODEL_PATH=s3://bucket/prefix/</c>: a model folder in S3, as the Downloader publishes it. The small files
/// (config, tokenizer) come down to a temporary folder; <c>model.tensors</c> streams from S3 straight into the
/// model's tensors, with no copy on local disk (KServe's storage initializer would download all of it first). The
/// completion marker comes down too, when there is one.
/// </summary>
internal static class S3ModelFolder
{
    public static bool IsS3(string? path) => path is not null && S3Location.IsS3Uri(path);

    /// <summary>The local folder with the small files, and the S3 location of <c>model.tensors</c>.</summary>
    public static async Task<(string Folder, string Tensors)> FetchAsync(string uri, CancellationToken cancellationToken)
    {
        var prefix = S3Location.ParsePrefix(uri);
        var folder = Directory.CreateTempSubdirectory("inference-s3-model-").FullName;
        try
        {
            await FetchSmallFilesAsync(prefix, folder, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Directory.Delete(folder, recursive: true); // the caller deletes it after the load; on failure nobody else knows it
            throw;
        }

        return (folder, prefix.Child(ModelFolder.TensorsFile).ToString());
    }

    /// <summary>The side files and the completion marker (when present, so the same completeness check applies).</summary>
    private static async Task FetchSmallFilesAsync(S3Location prefix, string folder, CancellationToken cancellationToken)
    {
        using var client = S3ClientFactory.Create(S3Settings.FromEnvironment());
        foreach (var name in ModelFolder.SideFiles.Append(CompletionMarker.FileName))
        {
            var location = prefix.Child(name);
            try
            {
                using var response = await client.GetObjectAsync(location.Bucket, location.Key, cancellationToken).ConfigureAwait(false);
                await response.WriteResponseStreamToFileAsync(Path.Combine(folder, name), append: false, cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && name != "config.json")
            {
                // Optional files: only config.json must be there (its architecture says which tokenizer files count).
            }
            catch (AmazonS3Exception e)
            {
                throw S3Errors.Translate(e, location);
            }
        }
    }
}
