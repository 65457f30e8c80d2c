namespace Checkpoints.Sources;

/// <summary>A file of a checkpoint: its path relative to the checkpoint's root, size, and the sha256 the source publishes (LFS), if any.</summary>
public sealed record CheckpointFile(string Path, long Size, string? Sha256 = null);

/// <summary>A source's files at one revision (a commit id, or a stamp of sizes and times for folders).</summary>
public sealed record CheckpointListing(string Revision, IReadOnlyList<CheckpointFile> Files);
