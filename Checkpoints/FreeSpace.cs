namespace Checkpoints;

/// <summary>Free space and volume identity of folders: a seam, so tests can stand in a full volume for a real one.</summary>
public interface IFreeSpaceProbe
{
    /// <summary>Bytes an unprivileged writer may still use on the volume of <paramref name="folder"/> (which may not exist yet).</summary>
    long AvailableBytes(string folder);

    /// <summary>A key equal for folders on the same volume (the mount point).</summary>
    string VolumeOf(string folder);
}

/// <summary>The real volumes, through <see cref="DriveInfo"/>.</summary>
public sealed class DriveFreeSpace : IFreeSpaceProbe
{
    public static DriveFreeSpace Instance { get; } = new();

    public long AvailableBytes(string folder) => new DriveInfo(NearestExisting(folder)).AvailableFreeSpace;

    /// <summary>The longest mount point that contains the folder; "/" when the mounts cannot be listed.</summary>
    public string VolumeOf(string folder)
    {
        var path = Path.TrimEndingDirectorySeparator(NearestExisting(folder));
        try
        {
            return DriveInfo.GetDrives()
                .Select(d => Path.TrimEndingDirectorySeparator(d.RootDirectory.FullName))
                .Where(root => Contains(root, path))
                .DefaultIfEmpty(Path.GetPathRoot(path) ?? "/")
                .MaxBy(root => root.Length)!;
        }
        catch (IOException)
        {
            return Path.GetPathRoot(path) ?? "/"; // unknown: treat everything as one volume, the cautious answer
        }
        catch (UnauthorizedAccessException)
        {
            return Path.GetPathRoot(path) ?? "/";
        }
    }

    private static bool Contains(string root, string path) =>
        path == root || path.StartsWith(Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>The folder, or its closest existing parent (an output folder is created only when writing starts).</summary>
    private static string NearestExisting(string folder)
    {
        var path = Path.GetFullPath(folder);
        while (!Directory.Exists(path) && Path.GetDirectoryName(path) is { } parent)
        {
            path = parent;
        }

        // Symbolic links (a PVC mounted through a link) are followed, so the mount lookup sees the real place.
        return new DirectoryInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
    }
}
