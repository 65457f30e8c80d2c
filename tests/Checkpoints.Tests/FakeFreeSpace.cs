namespace Checkpoints.Tests;

/// <summary>Volumes as a test says they are: which one a folder is on, and how many bytes each has free.</summary>
internal sealed class FakeFreeSpace(Func<string, string> volumeOf, Func<string, long> free) : IFreeSpaceProbe
{
    public FakeFreeSpace(Func<string, string> volumeOf, long free) : this(volumeOf, _ => free)
    {
    }

    public long AvailableBytes(string folder) => free(volumeOf(folder));

    public string VolumeOf(string folder) => volumeOf(folder);
}
