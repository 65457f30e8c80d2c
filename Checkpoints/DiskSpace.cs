using System.Globalization;

namespace Checkpoints;

/// <summary>Checks free space before a long write, so a full volume fails in a second with the numbers, not at 90%.</summary>
public static class DiskSpace
{
    public static void Ensure(string folder, long bytes, string purpose)
    {
        var free = new DriveInfo(Path.GetFullPath(folder)).AvailableFreeSpace;
        if (free < bytes)
        {
            throw new IOException(string.Create(CultureInfo.InvariantCulture,
                $"Not enough disk space in {folder} for {purpose}: {bytes / 1048576.0:0.0} MiB needed, {free / 1048576.0:0.0} MiB free."));
        }
    }
}
