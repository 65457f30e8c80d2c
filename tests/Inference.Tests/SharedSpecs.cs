using System.Runtime.CompilerServices;

namespace Inference.Tests;

/// <summary>The spec files in <c>shared/specs</c>, which lies beside the repository in development and in CI.</summary>
internal static class SharedSpecs
{
    public static string Find(string specPath, [CallerFilePath] string source = "")
    {
        foreach (var start in new[] { Path.GetDirectoryName(source)!, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, specPath);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException($"{specPath} was not found above {source} or {AppContext.BaseDirectory}.");
    }
}
