using System.Runtime.CompilerServices;

namespace TestSupport;

/// <summary>
/// The published specifications the tests validate against (KServe's CRDs and Open Inference Protocol, OpenAI's
/// OpenAPI description as KServe vendors it). They are KServe's and OpenAI's files, not ours, so they stay outside the
/// repository (docs/specs.md says where they come from) and are found in the folder <see cref="FolderVariable"/>
/// names, else in a <c>shared/specs</c> folder beside the checkout (development and CI). When neither has them, the
/// calling test (a <c>[SkippableFact]</c> or <c>[SkippableTheory]</c>) is skipped with the reason, unless
/// <see cref="RequireVariable"/> is set, as in CI, where a missing spec is a failure. The skip is an exception: call the
/// schema helpers outside <c>Assert.All</c> and the like, which would report it as a failure.
/// </summary>
public static class SharedSpecs
{
    /// <summary>A folder holding the spec files; when set, a file missing from it is a failure, not a skip.</summary>
    public const string FolderVariable = "SHARED_SPECS_DIR";

    /// <summary>Set (to anything but 0 or false) where the specs must be present: a test that would skip fails instead.</summary>
    public const string RequireVariable = "REQUIRE_SHARED_SPECS";

    /// <summary>The full path of spec <paramref name="name"/> (e.g. <c>kserve-v2-rest_predict_v2.yaml</c>).</summary>
    /// <exception cref="SkipException">The specs are not here and not required.</exception>
    /// <exception cref="FileNotFoundException">The specs are not here and required, or the configured folder lacks the file.</exception>
    public static string Find(string name, [CallerFilePath] string source = "")
    {
        if (Environment.GetEnvironmentVariable(FolderVariable) is { Length: > 0 } folder)
        {
            var configured = Path.Combine(folder, name);
            return File.Exists(configured)
                ? configured
                : throw new FileNotFoundException($"{FolderVariable}={folder} has no {name}.", configured);
        }

        var relative = Path.Combine("shared", "specs", name);
        if ((Above(Path.GetDirectoryName(source), relative) ?? Above(AppContext.BaseDirectory, relative)) is { } found)
        {
            return found;
        }

        var reason = $"{name} is not in this checkout: the KServe/OpenAI spec files live outside the repository, in shared/specs beside it "
            + $"or in the folder {FolderVariable} names (docs/specs.md says where to get them).";
        if (IsRequired())
        {
            throw new FileNotFoundException($"{reason} {RequireVariable} is set, so the spec tests may not be skipped.", relative);
        }

        throw new SkipException(reason);
    }

    private static bool IsRequired() => Environment.GetEnvironmentVariable(RequireVariable) is { Length: > 0 } value
        && value != "0" && !value.Equals("false", StringComparison.OrdinalIgnoreCase);

    private static string? Above(string? start, string relative)
    {
        for (var directory = string.IsNullOrEmpty(start) ? null : new DirectoryInfo(start); directory is not null; directory = directory.Parent)
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
