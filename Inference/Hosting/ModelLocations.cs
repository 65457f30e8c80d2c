using System.Net;
using Amazon.S3;
using Checkpoints;
using Checkpoints.Outputs;
using Checkpoints.Sources;
using Checkpoints.Sources.Hubs;
using Tensorizer.Format;
using Tensorizer.Reading;
using Tensorizer.Sources;
using Tensorizer.Sources.Http;
using Tensorizer.Sources.S3;
using S3Location = Tensorizer.Sources.S3.S3Location;

namespace Inference.Hosting;

/// <summary>
/// A model to load, once its location is resolved: a local folder with the small files (config, tokenizer, the
/// completion marker when there is one), and where the weights are when not in that folder (<see cref="Weights"/>,
/// with how to reach them). <see cref="Temporary"/> says the folder was made for this load and is deleted after it.
/// </summary>
internal sealed record ResolvedModel(
    string Folder, bool Temporary, string? Weights = null, SourceOptions? Sources = null, Func<CancellationToken, Task<ITensorCheckpoint>>? OpenWeights = null);

/// <summary>
/// <c>MODEL_PATH</c> in any of its forms: a folder; <c>s3://bucket/prefix/</c>; an <c>http(s)://</c> base URL; or a
/// hub repository, <c>hf://org/name[@revision]</c> or <c>modelscope://org/name[@revision]</c>. For the remote
/// forms the small files come down to a temporary folder and the weights stream from where they are, straight into
/// the model's tensors, with no copy on local disk: <c>model.tensors</c> when the location has one, else the
/// checkpoint's own safetensors (<c>model.safetensors.index.json</c> and its shards, or <c>model.safetensors</c>).
/// A hub's revision is resolved once to its commit, as the converter does, and every file comes from that commit.
/// </summary>
internal static class ModelLocations
{
    /// <summary>The files worth fetching: the side files, the converter's marker and a shard index.</summary>
    private static IEnumerable<string> SmallFiles => ModelFiles.SideFiles.Append(CompletionMarker.FileName).Append(ModelFiles.SafetensorsIndexFile);

    public static bool IsHub(string path) =>
        path.StartsWith("hf://", StringComparison.Ordinal) || path.StartsWith("modelscope://", StringComparison.Ordinal);

    public static bool IsHttp(string path) =>
        path.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || path.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why <paramref name="path"/> is not a model location this service can resolve; null when it is.</summary>
    public static string? Refusal(string path)
    {
        try
        {
            if (IsHub(path))
            {
                HubRepository.Parse(path);
            }
            else if (S3Location.IsS3Uri(path))
            {
                S3Location.ParsePrefix(path);
            }
            else if (IsHttp(path))
            {
                _ = new Uri(path);
            }
            else if (path.Contains("://", StringComparison.Ordinal) && !path.StartsWith("file://", StringComparison.Ordinal) && !path.StartsWith("builtin://", StringComparison.Ordinal))
            {
                return $"'{path}' is not a model location: use a folder, s3://bucket/prefix/, http(s)://host/path/, hf://org/name[@revision] or modelscope://org/name[@revision].";
            }

            return null;
        }
        catch (Exception e) when (e is ArgumentException or UriFormatException)
        {
            return e.Message;
        }
    }

    /// <param name="getenv">The settings (configuration or environment): S3's, <c>HF_TOKEN</c>, <c>HF_ENDPOINT</c>, ModelScope's.</param>
    public static async Task<ResolvedModel> ResolveAsync(string path, Func<string, string?> getenv, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.StartsWith("file://", StringComparison.Ordinal))
        {
            return new ResolvedModel(new Uri(path).LocalPath, Temporary: false);
        }

        if (!S3Location.IsS3Uri(path) && !IsHttp(path) && !IsHub(path))
        {
            return new ResolvedModel(path, Temporary: false);
        }

        var folder = Directory.CreateTempSubdirectory("inference-remote-model-").FullName;
        try
        {
            return S3Location.IsS3Uri(path) ? await FromS3Async(path, folder, getenv, cancellationToken).ConfigureAwait(false)
                : IsHttp(path) ? await FromHttpAsync(path, folder, cancellationToken).ConfigureAwait(false)
                : await FromHubAsync(path, folder, getenv, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Directory.Delete(folder, recursive: true); // the caller deletes it after the load; on failure nobody else knows it
            throw;
        }
    }

    /// <summary>The weights the fetched folder and the remote listing point at, in <see cref="ModelFiles.WeightsFiles"/>'s order.</summary>
    private static string ChooseWeights(string location, Func<string, bool> exists) =>
        ModelFiles.WeightsFiles.FirstOrDefault(exists)
        ?? throw new FileNotFoundException($"{location} holds no weights: none of {string.Join(", ", ModelFiles.WeightsFiles)}.");

    private static async Task<ResolvedModel> FromS3Async(string uri, string folder, Func<string, string?> getenv, CancellationToken cancellationToken)
    {
        var prefix = S3Location.ParsePrefix(uri);
        var settings = S3Settings.FromEnvironment(getenv);
        using var client = S3ClientFactory.Create(settings);
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in SmallFiles)
        {
            var location = prefix.Child(name);
            try
            {
                using var response = await client.GetObjectAsync(location.Bucket, location.Key, cancellationToken).ConfigureAwait(false);
                await response.WriteResponseStreamToFileAsync(Path.Combine(folder, name), append: false, cancellationToken).ConfigureAwait(false);
                present.Add(name);
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

        foreach (var weights in new[] { ModelFiles.TensorsFile, ModelFiles.SafetensorsFile })
        {
            var location = prefix.Child(weights);
            try
            {
                await client.GetObjectMetadataAsync(location.Bucket, location.Key, cancellationToken).ConfigureAwait(false);
                present.Add(weights);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
            }
            catch (AmazonS3Exception e)
            {
                throw S3Errors.Translate(e, location);
            }
        }

        var chosen = ChooseWeights(uri, present.Contains);
        return new ResolvedModel(folder, Temporary: true, prefix.Child(chosen).ToString(), new SourceOptions { S3 = settings });
    }

    private static async Task<ResolvedModel> FromHttpAsync(string uri, string folder, CancellationToken cancellationToken)
    {
        var root = new Uri(uri.EndsWith('/') ? uri : uri + "/");
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = true, AutomaticDecompression = DecompressionMethods.None })
        {
            Timeout = TimeSpan.FromMinutes(2),
        };
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in SmallFiles)
        {
            using var response = await client.GetAsync(new Uri(root, name), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound && name != "config.json")
            {
                continue;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new TensorizerException($"{new Uri(root, name)}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
            }

            var file = new FileStream(Path.Combine(folder, name), FileMode.Create, FileAccess.Write);
            await using (file.ConfigureAwait(false))
            {
                await response.Content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            }

            present.Add(name);
        }

        foreach (var weights in new[] { ModelFiles.TensorsFile, ModelFiles.SafetensorsFile })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(root, weights));
            request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 0);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                present.Add(weights);
            }
        }

        var chosen = ChooseWeights(uri, present.Contains);
        return new ResolvedModel(folder, Temporary: true, new Uri(root, chosen).AbsoluteUri);
    }

    private static async Task<ResolvedModel> FromHubAsync(string location, string folder, Func<string, string?> getenv, CancellationToken cancellationToken)
    {
        using var hub = (HubSource)CheckpointSources.Open(location, SourceSettings.FromEnvironment(getenv));
        var listing = await hub.ListAsync(cancellationToken).ConfigureAwait(false); // the revision, resolved once
        var files = listing.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var small = SmallFiles.Where(files.ContainsKey).Select(name => files[name]).ToList();
        if (!files.ContainsKey("config.json"))
        {
            throw new FileNotFoundException($"{location} (revision {listing.Revision}) has no config.json.");
        }

        // Verified against the hub's published hashes, as the converter's downloads are.
        await hub.FetchAsync(small, folder, progress: null, cancellationToken).ConfigureAwait(false);
        var chosen = ChooseWeights($"{location} (revision {listing.Revision})", files.ContainsKey);
        var uris = files.ToDictionary(f => f.Key, f => hub.FileLocation(f.Value).AbsoluteUri, StringComparer.Ordinal);
        var sources = new SourceOptions { Http = new HttpSourceOptions { BearerToken = hub.Token } };
        var revision = listing.Revision;
        string ShardLocation(string name) => uris.TryGetValue(name, out var uri)
            ? uri
            : throw new TensorizerFormatException($"{location}: the index names shard '{name}', which the repository (revision {revision}) does not have.");

        // A hub's file URL need not end in the file's name (ModelScope's repo file API): the format comes from the name chosen.
        async Task<ITensorCheckpoint> OpenAsync(CancellationToken ct) => chosen switch
        {
            ModelFiles.TensorsFile => await TensorFile.OpenAsync(await RangeSources.OpenAsync(uris[chosen], sources, ct).ConfigureAwait(false), ownsSource: true, ct).ConfigureAwait(false),
            ModelFiles.SafetensorsIndexFile => await SafetensorsCheckpoint.OpenIndexAsync(uris[chosen], sources, ShardLocation, ct).ConfigureAwait(false),
            _ => await SafetensorsCheckpoint.OpenFileAsync(uris[chosen], sources, ct).ConfigureAwait(false),
        };

        return new ResolvedModel(folder, Temporary: true, uris[chosen], sources, OpenAsync);
    }
}
