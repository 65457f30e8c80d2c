using Checkpoints.Sources;
using Tensorizer.Format;

namespace AdminConsole.Services.Conversions;

/// <summary>Where a checkpoint comes from, as the conversion form offers it.</summary>
public enum SourceKind
{
    HuggingFace,
    ModelScope,
    S3,
    Folder,
    Builtin,
}

/// <summary>
/// A conversion as the operator asks for it: source kind, repository (a hub repo id, an S3 prefix or a folder path),
/// revision, dtype, and the destination model name in the store.
/// </summary>
public sealed record ConversionSpec(SourceKind Kind, string Repository, string? Revision, string Dtype, string Destination)
{
    /// <summary>The form's choices: the converter's (<see cref="DtypeNames.ConversionChoices"/>).</summary>
    public static IReadOnlyList<string> Dtypes => DtypeNames.ConversionChoices;

    /// <summary>Convert again even when the destination is already complete for this source revision and dtype.</summary>
    public bool Force { get; init; }

    /// <summary>The source location the Downloader takes (<c>hf://org/name@rev</c>, <c>modelscope://…</c>, <c>s3://…</c>, a folder, <c>builtin://tiny-gptj</c>).</summary>
    public string SourceUri => Kind switch
    {
        SourceKind.HuggingFace => $"hf://{Repository.Trim()}{RevisionSuffix}",
        SourceKind.ModelScope => $"modelscope://{Repository.Trim()}{RevisionSuffix}",
        SourceKind.S3 => Repository.Trim(),
        SourceKind.Folder => Repository.Trim(),
        SourceKind.Builtin => BuiltinSource.TinyGptj,
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, null),
    };

    private string RevisionSuffix => string.IsNullOrWhiteSpace(Revision) ? "" : $"@{Revision.Trim()}";

    /// <summary>What is wrong with the spec, in the form's words; empty when it can run.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        var repository = Repository?.Trim() ?? "";
        switch (Kind)
        {
            case SourceKind.HuggingFace or SourceKind.ModelScope when !IsRepoId(repository):
                problems.Add("The repository must be an id such as EleutherAI/gpt-j-6b.");
                break;
            case SourceKind.S3 when !repository.StartsWith("s3://", StringComparison.OrdinalIgnoreCase):
                problems.Add("The S3 source must be s3://bucket/prefix/.");
                break;
            case SourceKind.Folder when repository.Length == 0 || repository.Contains("://", StringComparison.Ordinal):
                problems.Add("The folder must be a path on the console's machine (or the Job's volume).");
                break;
        }

        if (!DtypeNames.TryParseConversion(Dtype, out _))
        {
            problems.Add($"The dtype must be one of {string.Join(", ", Dtypes)}.");
        }

        try
        {
            Store.StoreNames.Check(Destination ?? "");
        }
        catch (ArgumentException e)
        {
            problems.Add($"Destination: {e.Message}");
        }

        return problems;
    }

    private static bool IsRepoId(string id)
    {
        var parts = id.Split('/');
        return parts.Length is 1 or 2 && parts.All(p => p.Length > 0 && p.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'));
    }
}
