using Checkpoints.Conversion;

namespace Checkpoints.Sources;

/// <summary>Where a checkpoint comes from: it lists its files at a revision and puts the chosen ones in a local folder.</summary>
public interface ICheckpointSource : IDisposable
{
    /// <summary>The source as the user named it, for messages and the completion marker.</summary>
    string Location { get; }

    Task<CheckpointListing> ListAsync(CancellationToken cancellationToken);

    /// <summary>Makes <paramref name="files"/> available locally; returns the folder that holds them (<paramref name="downloadFolder"/> for remote sources).</summary>
    Task<string> FetchAsync(
        IReadOnlyList<CheckpointFile> files, string downloadFolder, IProgress<ConversionProgress>? progress, CancellationToken cancellationToken);
}
