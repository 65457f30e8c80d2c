using System.Runtime.CompilerServices;

namespace AppHost.Tests;

/// <summary>
/// Files the tests read from the checkout: the repository's own (found at <c>Aspire.sln</c>) and <c>shared/specs</c>,
/// which lies beside the repository in development and in CI.
/// </summary>
internal static class RepositoryFiles
{
    public static string Root([CallerFilePath] string source = "") =>
        Above(Path.GetDirectoryName(source)!, "Aspire.sln") is { } solution
            ? Path.GetDirectoryName(solution)!
            : throw new DirectoryNotFoundException($"No Aspire.sln above {source}.");

    public static string SharedSpec(string name, [CallerFilePath] string source = "")
    {
        var relative = Path.Combine("shared", "specs", name);
        return Above(Path.GetDirectoryName(source)!, relative) ?? Above(AppContext.BaseDirectory, relative)
            ?? throw new FileNotFoundException($"{relative} was not found above {source} or {AppContext.BaseDirectory}.");
    }

    private static string? Above(string start, string relative)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
