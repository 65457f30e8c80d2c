using System.Reflection;

namespace Architecture.Tests;

/// <summary>TorchSharp (and libtorch, over 1 GB) stops at <c>Tensorizer.Torch</c>: the checkpoints library and the admin console are free of it.</summary>
public sealed class TorchSharpBoundaryTests
{
    private static readonly string[] TorchProjects = ["Tensorizer.Torch", "Models", "Inference", "Downloader", "Benchmarks"];

    [Fact]
    public void Checkpoints_references_no_TorchSharp_in_its_project_files()
    {
        var closure = ProjectGraph.Closure("Checkpoints");
        Assert.DoesNotContain(closure, TorchProjects.Contains);
        foreach (var project in closure)
        {
            var packages = ProjectGraph.References(ProjectGraph.Projects[project], "PackageReference");
            Assert.DoesNotContain(packages, p => p.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase) || p.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public void The_Checkpoints_assembly_references_no_TorchSharp()
    {
        var checkpoints = typeof(Checkpoints.ModelFiles).Assembly;
        var referenced = Closure(checkpoints).Select(a => a.Name!).ToList();
        Assert.Contains("Tensorizer", referenced);
        Assert.DoesNotContain(referenced, name => name.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase) || TorchProjects.Contains(name));
    }

    [Fact]
    public void The_console_build_output_holds_no_libtorch()
    {
        var console = typeof(TorchSharpBoundaryTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ConsoleAssembly").Value!;
        Assert.True(File.Exists(console), $"{console} is missing: the console is built before this test project.");
        var output = Path.GetDirectoryName(console)!;

        var torch = Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(output, path))
            .Where(path => Path.GetFileName(path).StartsWith("libtorch", StringComparison.OrdinalIgnoreCase) || Path.GetFileName(path).StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase))
            .ToList();
        Assert.True(torch.Count == 0, $"{output} holds {string.Join(", ", torch.Take(5))}");
        Assert.DoesNotContain("TorchSharp", File.ReadAllText(Path.ChangeExtension(console, ".deps.json")), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The assembly and every assembly it references, transitively, as far as they load from this test's output.</summary>
    private static List<AssemblyName> Closure(Assembly root)
    {
        var seen = new Dictionary<string, AssemblyName>(StringComparer.Ordinal);
        var pending = new Stack<AssemblyName>(root.GetReferencedAssemblies());
        while (pending.TryPop(out var name))
        {
            if (!seen.TryAdd(name.Name!, name) || name.Name!.StartsWith("System", StringComparison.Ordinal) || name.Name is "netstandard" or "mscorlib")
            {
                continue;
            }

            try
            {
                foreach (var next in Assembly.Load(name).GetReferencedAssemblies())
                {
                    pending.Push(next);
                }
            }
            catch (FileNotFoundException)
            {
                // not shipped with the references: nothing further to follow
            }
        }

        return [.. seen.Values];
    }
}
