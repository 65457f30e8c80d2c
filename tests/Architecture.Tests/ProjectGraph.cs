using System.Xml.Linq;

namespace Architecture.Tests;

/// <summary>The repository's projects and their <c>ProjectReference</c>s, read from the project files.</summary>
internal static class ProjectGraph
{
    public static string Root { get; } = FindRoot();

    /// <summary>Every project file in the repository (build outputs left out), by project name.</summary>
    public static IReadOnlyDictionary<string, string> Projects { get; } = Directory
        .EnumerateFiles(Root, "*.csproj", SearchOption.AllDirectories)
        .Where(path => !path.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "shared" or ".git"))
        .ToDictionary(path => Path.GetFileNameWithoutExtension(path), StringComparer.Ordinal);

    /// <summary>Each project's direct project references, by name.</summary>
    public static IReadOnlyList<(string From, string To)> Edges { get; } = [.. Projects
        .SelectMany(p => References(p.Value, "ProjectReference").Select(to => (p.Key, Path.GetFileNameWithoutExtension(to))))
        .Order()];

    /// <summary>The <c>Include</c>s of one kind of item (<c>ProjectReference</c>, <c>PackageReference</c>) in a project file.</summary>
    public static IEnumerable<string> References(string projectFile, string item) =>
        XDocument.Load(projectFile).Descendants(item).Select(e => (string?)e.Attribute("Include")).OfType<string>()
            .Select(include => include.Replace('\\', '/'));

    /// <summary>A project and every project it reaches through project references.</summary>
    public static IReadOnlySet<string> Closure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var next))
        {
            if (seen.Add(next))
            {
                foreach (var (from, to) in Edges.Where(e => e.From == next))
                {
                    pending.Push(to);
                }
            }
        }

        return seen;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Aspire.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Aspire.sln above {AppContext.BaseDirectory}.");
    }
}
