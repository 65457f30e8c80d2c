namespace Checkpoints.Sources;

/// <summary>
/// A file of a checkpoint: its path relative to the checkpoint's root, size (-1 when unknown), and the hash the
/// source publishes, if any: the LFS sha256 of large files, or the git blob id (sha1 of "blob SIZE\0" + bytes) of small ones.
/// </summary>
public sealed record CheckpointFile(string Path, long Size, string? Sha256 = null, string? GitBlobSha1 = null);

/// <summary>A source's files at one revision (a commit id, or a stamp of sizes and times for folders).</summary>
public sealed record CheckpointListing(string Revision, IReadOnlyList<CheckpointFile> Files);
