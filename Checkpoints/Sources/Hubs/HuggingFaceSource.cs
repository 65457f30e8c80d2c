using System.Text.Json;

namespace Checkpoints.Sources.Hubs;

/// <summary>
/// <c>hf://org/name[@revision]</c> on the Hugging Face Hub (or the mirror <c>HF_ENDPOINT</c> names). The revision
/// (default <c>main</c>) is resolved to its commit once, and every file is fetched from that commit, so a push during
/// the download cannot mix two versions. Large files are checked against their LFS sha256, small ones against their
/// git blob id.
/// </summary>
public sealed class HuggingFaceSource(HubRepository repository, SourceSettings settings)
    : HubSource(repository, settings, settings.HuggingFaceToken)
{
    private string? _commit;

    public override async Task<CheckpointListing> ListAsync(CancellationToken cancellationToken)
    {
        var revision = Uri.EscapeDataString(Repository.Revision ?? "main");
        var uri = Under(Settings.HuggingFaceEndpoint, $"api/models/{Repository.Id}/revision/{revision}?blobs=true");
        using var json = await GetJsonAsync(uri, "model info", cancellationToken).ConfigureAwait(false);
        try
        {
            var root = json.RootElement;
            _commit = root.GetProperty("sha").GetString() ?? throw new InvalidDataException($"{Location}: the model info has no commit sha.");
            var files = root.GetProperty("siblings").EnumerateArray().Select(s => new CheckpointFile(
                s.GetProperty("rfilename").GetString()!,
                s.TryGetProperty("size", out var size) ? size.GetInt64() : -1,
                s.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object ? lfs.GetProperty("sha256").GetString() : null,
                s.TryGetProperty("lfs", out lfs) && lfs.ValueKind == JsonValueKind.Object ? null : s.TryGetProperty("blobId", out var blob) ? blob.GetString() : null));
            return new CheckpointListing(_commit, [.. files]);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{Location}: the model info is not what the Hub API returns: {e.Message}", e);
        }
    }

    protected override Uri FileUri(CheckpointFile file) => Under(
        Settings.HuggingFaceEndpoint,
        $"{Repository.Id}/resolve/{_commit ?? throw new InvalidOperationException("ListAsync first.")}/{string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString))}");
}
