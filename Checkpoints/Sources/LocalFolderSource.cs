using Checkpoints.Conversion;

namespace Checkpoints.Sources;

/// <summary>A checkpoint already on disk: nothing to fetch. Its revision is a stamp of every file's size and time.</summary>
public sealed class LocalFolderSource(string folder) : ICheckpointSource
{
    public string Location { get; } = Path.GetFullPath(folder);

    public Task<CheckpointListing> ListAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Location))
        {
            throw new DirectoryNotFoundException($"Checkpoint folder {Location} does not exist.");
        }

        var files = new DirectoryInfo(Location).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden })
            .Select(f => (File: f, Relative: Path.GetRelativePath(Location, f.FullName).Replace(Path.DirectorySeparatorChar, '/')))
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .ToList();
        var stamp = string.Join(';', files.Select(f => $"{f.Relative}:{f.File.Length}:{f.File.LastWriteTimeUtc.Ticks}"));
        var revision = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(stamp)))[..16];
        return Task.FromResult(new CheckpointListing(revision, [.. files.Select(f => new CheckpointFile(f.Relative, f.File.Length))]));
    }

    public Task<string> FetchAsync(IReadOnlyList<CheckpointFile> files, string downloadFolder, IProgress<ConversionProgress>? progress, CancellationToken cancellationToken) =>
        Task.FromResult(Location);

    public void Dispose()
    {
    }
}
