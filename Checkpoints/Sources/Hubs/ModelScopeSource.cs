using System.Security.Cryptography;
using System.Text;

namespace Checkpoints.Sources.Hubs;

/// <summary>
/// <c>modelscope://org/name[@revision]</c> on ModelScope (or <c>MODELSCOPE_ENDPOINT</c>), where the seed downloads
/// GPT-J-6B: the recursive file listing and the repo file API, with each file's published sha256. The revision
/// (default <c>master</c>) is named by the branch and a digest of the listing, so new content means a new conversion.
/// </summary>
public sealed class ModelScopeSource(HubRepository repository, SourceSettings settings)
    : HubSource(repository, settings, settings.ModelScopeToken)
{
    private string Branch => Repository.Revision ?? "master";

    public override async Task<CheckpointListing> ListAsync(CancellationToken cancellationToken)
    {
        var uri = Under(Settings.ModelScopeEndpoint, $"api/v1/models/{Repository.Id}/repo/files?Revision={Uri.EscapeDataString(Branch)}&Recursive=true");
        using var json = await GetJsonAsync(uri, "file listing", cancellationToken).ConfigureAwait(false);
        try
        {
            var root = json.RootElement;
            if (root.TryGetProperty("Code", out var code) && code.GetInt32() != 200)
            {
                var message = root.TryGetProperty("Message", out var m) ? m.GetString() : null;
                throw new HttpRequestException($"{Location}: ModelScope answered code {code.GetInt32()}: {message}");
            }

            var files = root.GetProperty("Data").GetProperty("Files").EnumerateArray()
                .Where(f => f.GetProperty("Type").GetString() == "blob")
                .Select(f => new CheckpointFile(
                    f.GetProperty("Path").GetString()!,
                    f.GetProperty("Size").GetInt64(),
                    f.TryGetProperty("Sha256", out var sha) && sha.GetString() is { Length: 64 } hex ? hex : null))
                .OrderBy(f => f.Path, StringComparer.Ordinal)
                .ToList();
            var digest = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', files.Select(f => $"{f.Path} {f.Size} {f.Sha256}"))));
            return new CheckpointListing($"{Branch}:{Convert.ToHexStringLower(digest)[..16]}", files);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{Location}: the file listing is not what the ModelScope API returns: {e.Message}", e);
        }
    }

    protected override Uri FileUri(CheckpointFile file) => Under(
        Settings.ModelScopeEndpoint,
        $"api/v1/models/{Repository.Id}/repo?Revision={Uri.EscapeDataString(Branch)}&FilePath={Uri.EscapeDataString(file.Path)}");
}
