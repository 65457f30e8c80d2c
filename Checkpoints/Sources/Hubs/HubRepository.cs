using System.Text.RegularExpressions;

namespace Checkpoints.Sources.Hubs;

/// <summary>A hub location, <c>hf://org/name[@revision]</c> or <c>modelscope://org/name[@revision]</c>, parsed and checked.</summary>
public sealed partial record HubRepository(string Scheme, string Id, string? Revision)
{
    public static HubRepository Parse(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var separator = location.IndexOf("://", StringComparison.Ordinal);
        var scheme = separator > 0 ? location[..separator] : throw new ArgumentException($"'{location}' is not a hub location (hf://org/name[@revision]).");
        var rest = location[(separator + 3)..].TrimEnd('/');
        var at = rest.LastIndexOf('@');
        var (id, revision) = at < 0 ? (rest, null) : (rest[..at], rest[(at + 1)..]);
        if (!RepoId().IsMatch(id) || id.Split('/').Any(part => part is "." or ".."))
        {
            throw new ArgumentException($"'{location}': '{id}' is not a repository id (org/name, letters, digits, '-', '_', '.').");
        }

        if (revision is not null && (revision.Length == 0 || revision.Contains("..", StringComparison.Ordinal) || revision.Any(char.IsControl)))
        {
            throw new ArgumentException($"'{location}': '{revision}' is not a revision (a branch, tag or commit).");
        }

        return new HubRepository(scheme, id, revision);
    }

    public override string ToString() => $"{Scheme}://{Id}{(Revision is null ? "" : "@" + Revision)}";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$")]
    private static partial Regex RepoId();
}
