using System.Text.RegularExpressions;

namespace Architecture.Tests;

/// <summary><c>docs/architecture.md</c> draws exactly the project references the project files declare.</summary>
public sealed partial class ArchitectureDocTests
{
    private static readonly string Doc = File.ReadAllText(Path.Combine(ProjectGraph.Root, "docs", "architecture.md"));

    [Fact]
    public void Every_project_reference_is_an_arrow_in_the_doc()
    {
        var drawn = DrawnEdges();
        var missing = ProjectGraph.Edges.Where(e => !drawn.Contains(e)).Select(e => $"{e.From} --> {e.To}").ToList();
        Assert.True(missing.Count == 0, $"docs/architecture.md lacks: {string.Join(", ", missing)}");
    }

    [Fact]
    public void Every_arrow_in_the_doc_is_a_project_reference()
    {
        var extra = DrawnEdges().Where(e => !ProjectGraph.Edges.Contains(e)).Select(e => $"{e.From} --> {e.To}").ToList();
        Assert.True(extra.Count == 0, $"docs/architecture.md draws references no project file has: {string.Join(", ", extra)}");
    }

    [Fact]
    public void Every_project_has_a_line_on_its_job()
    {
        var described = TableRow().Matches(Doc).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);
        var undescribed = ProjectGraph.Projects.Keys.Where(p => !described.Contains(p)).Order().ToList();
        Assert.True(undescribed.Count == 0, $"docs/architecture.md has no line for: {string.Join(", ", undescribed)}");
    }

    /// <summary>The arrows of every mermaid block, node ids mapped to the project names their labels give.</summary>
    private static HashSet<(string From, string To)> DrawnEdges()
    {
        var edges = new HashSet<(string, string)>();
        foreach (Match block in MermaidBlock().Matches(Doc))
        {
            var names = Node().Matches(block.Value).ToDictionary(m => m.Groups["id"].Value, m => m.Groups["name"].Value, StringComparer.Ordinal);
            foreach (Match arrow in Arrow().Matches(block.Value))
            {
                var (from, to) = (arrow.Groups["from"].Value, arrow.Groups["to"].Value);
                Assert.True(names.ContainsKey(from) && names.ContainsKey(to), $"'{arrow.Value.Trim()}' names a node that has no label");
                edges.Add((names[from], names[to]));
            }
        }

        Assert.NotEmpty(edges);
        return edges;
    }

    [GeneratedRegex(@"```mermaid\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex MermaidBlock();

    [GeneratedRegex(@"^\s*(?<id>\w+)\[""(?<name>[^""]+)""\]", RegexOptions.Multiline)]
    private static partial Regex Node();

    [GeneratedRegex(@"^\s*(?<from>\w+)\s*-->\s*(?<to>\w+)\s*$", RegexOptions.Multiline)]
    private static partial Regex Arrow();

    [GeneratedRegex(@"^\| `(?<name>[\w.]+)` \|", RegexOptions.Multiline)]
    private static partial Regex TableRow();
}
