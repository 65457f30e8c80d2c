using Tensorizer.Crypto;
using Tensorizer.Writing;

namespace Checkpoints.Outputs;

/// <summary>
/// A model folder (the seed's PVC layout). Files are written under a hidden partial folder on the same volume and
/// renamed into place at commit: a failed or killed conversion leaves the previous model whole (a failure during
/// the renames leaves no marker), never a mix that looks complete.
/// </summary>
internal sealed class FolderOutput(string folder, IFreeSpaceProbe? freeSpace = null) : IModelOutput
{
    private readonly string _folder = Path.GetFullPath(folder);
    private string? _partial;

    public string Location => _folder;

    private string MarkerPath => Path.Combine(_folder, CompletionMarker.FileName);

    public Task<CompletionMarker?> ReadMarkerAsync(CancellationToken cancellationToken) => CompletionMarker.ReadAsync(_folder, cancellationToken);

    /// <summary>Partial folders and a marker's temp file that a killed run left (its own cleanup never ran).</summary>
    public Task RemoveLeftoversAsync(CancellationToken cancellationToken)
    {
        if (Directory.Exists(_folder))
        {
            foreach (var stale in Directory.GetDirectories(_folder, ".partial-*"))
            {
                Directory.Delete(stale, recursive: true);
            }

            File.Delete(MarkerPath + ".tmp");
        }

        return Task.CompletedTask;
    }

    public async Task BeginAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_folder);
        await RemoveLeftoversAsync(cancellationToken).ConfigureAwait(false);
        _partial = Directory.CreateDirectory(Path.Combine(_folder, $".partial-{Guid.NewGuid():N}")).FullName;
    }

    public Task WriteTensorsAsync(IReadOnlyList<TensorToWrite> tensors, TensorEncryption? encryption, CancellationToken cancellationToken)
    {
        DiskSpace.EnsureRoom([new SpaceNeed(_folder, tensors.Sum(t => t.DataLength), "model.tensors")], freeSpace);
        return TensorWriter.WriteFileAsync(Path.Combine(Partial, "model.tensors"), tensors, encryption, cancellationToken);
    }

    public Task AddFileAsync(string localPath, string name, CancellationToken cancellationToken)
    {
        File.Copy(localPath, Path.Combine(Partial, name), overwrite: true);
        return Task.CompletedTask;
    }

    public async Task CommitAsync(CompletionMarker marker, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(marker);
        File.Delete(MarkerPath); // until the new marker, the folder is a mix of old and new files
        foreach (var file in Directory.GetFiles(Partial))
        {
            File.Move(file, Path.Combine(_folder, Path.GetFileName(file)), overwrite: true);
        }

        var temp = MarkerPath + ".tmp";
        await File.WriteAllBytesAsync(temp, marker.ToJson(), cancellationToken).ConfigureAwait(false);
        File.Move(temp, MarkerPath, overwrite: true);
    }

    /// <summary>Removes this run's partial folder (a failed run's files, or the empty folder after a commit).</summary>
    public void Dispose()
    {
        try
        {
            if (_partial is not null && Directory.Exists(_partial))
            {
                Directory.Delete(_partial, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the error that ended the run matters more, and the next run removes what is left.
        }
    }

    private string Partial => _partial ?? throw new InvalidOperationException("BeginAsync first.");
}
