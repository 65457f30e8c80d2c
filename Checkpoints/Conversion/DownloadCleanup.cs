namespace Checkpoints.Conversion;

/// <summary>
/// Removes a conversion's downloaded checkpoint once its output is complete: the copy only exists so a restarted
/// Job can resume (12-24 GB for GPT-J on the PVC), which a complete output no longer needs. Only this source
/// revision's folder goes: another revision's may be an unfinished run that will resume.
/// </summary>
internal static class DownloadCleanup
{
    /// <param name="downloads">This revision's download folder.</param>
    /// <param name="defaultRoot">The default download root (<c>OUTPUT/.download</c> or the temp one), removed when left empty; null for a folder the user chose.</param>
    public static void Remove(string downloads, string? defaultRoot)
    {
        if (Directory.Exists(downloads))
        {
            Directory.Delete(downloads, recursive: true);
        }

        if (defaultRoot is not null && Directory.Exists(defaultRoot) && !Directory.EnumerateFileSystemEntries(defaultRoot).Any())
        {
            Directory.Delete(defaultRoot);
        }
    }
}
