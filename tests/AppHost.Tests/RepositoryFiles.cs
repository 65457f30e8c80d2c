using System.Runtime.CompilerServices;

namespace AppHost.Tests;

/// <summary>
/// Files the tests read from the checkout (found at <c>Aspire.sln</c>); <see cref="SharedSpecs"/> finds the spec
/// files, which are not in it.
/// </summary>
internal static class RepositoryFiles
{
    public static string Root([CallerFilePath] string source = "") =>
        Above(Path.GetDirectoryName(source)!, "Aspire.sln") is { } solution
            ? Path.GetDirectoryName(solution)!
            : throw new DirectoryNotFoundException($"No Aspire.sln above {source}.");

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
