namespace Checkpoints.Formats;

/// <summary>Names that come from files or listings never reach outside the folder they belong to.</summary>
public static class SafePaths
{
    /// <summary>Refuses a relative name that could leave any folder it is put under.</summary>
    public static void Check(string relative, string origin) => Resolve(Path.GetTempPath(), relative, origin);

    /// <summary>The full path of <paramref name="relative"/> under <paramref name="folder"/>, refusing <c>..</c>, absolute paths and drive or device names.</summary>
    public static string Resolve(string folder, string relative, string origin)
    {
        ArgumentNullException.ThrowIfNull(relative);
        var root = Path.GetFullPath(folder);
        var path = Path.GetFullPath(Path.Combine(root, relative));
        if (relative.Length == 0 || Path.IsPathRooted(relative) || relative.Contains('\\', StringComparison.Ordinal) || relative.Contains('\0', StringComparison.Ordinal)
            || !path.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            || relative.Split('/').Any(part => part is "" or "." or ".."))
        {
            throw new InvalidDataException($"{origin} names a file outside the folder: '{relative}'.");
        }

        return path;
    }
}
