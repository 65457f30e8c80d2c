using System.Globalization;

namespace Checkpoints;

/// <summary>Checks free space before a long write, so a full volume fails in a second with the numbers, not at 90%.</summary>
public static class DiskSpace
{
    public static void Ensure(string folder, long bytes, string purpose) => EnsureRoom([new SpaceNeed(folder, bytes, purpose)]);

    /// <summary>
    /// Checks several writes at once: the needs of folders on one volume are added up, since they compete for the
    /// same free bytes (downloads and the converted model on one PVC).
    /// </summary>
    public static void EnsureRoom(IReadOnlyList<SpaceNeed> needs, IFreeSpaceProbe? probe = null)
    {
        ArgumentNullException.ThrowIfNull(needs);
        probe ??= DriveFreeSpace.Instance;
        foreach (var volume in needs.Where(n => n.Bytes > 0).GroupBy(n => probe.VolumeOf(n.Folder), StringComparer.Ordinal))
        {
            var bytes = volume.Sum(n => n.Bytes);
            var free = probe.AvailableBytes(volume.First().Folder);
            if (free < bytes)
            {
                var what = volume.Count() == 1 ? volume.First().Purpose : string.Join(" and ", volume.Select(n => $"{n.Purpose} ({Mib(n.Bytes)})"));
                throw new IOException(string.Create(CultureInfo.InvariantCulture,
                    $"Not enough disk space in {volume.First().Folder} for {what}: {Mib(bytes)} needed, {Mib(free)} free."));
            }
        }
    }

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MiB");
}

/// <summary>Bytes about to be written under <paramref name="Folder"/>, and what for (for the message).</summary>
public sealed record SpaceNeed(string Folder, long Bytes, string Purpose);
