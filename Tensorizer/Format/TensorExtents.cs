namespace Tensorizer.Format;

/// <summary>
/// Each tensor owns its header's bytes and its data's bytes; no two may share any. Upstream refuses overlapping
/// headers too; here it also keeps a hostile index from aliasing one tensor's bytes as another's.
/// </summary>
internal static class TensorExtents
{
    /// <summary>Index order is free (upstream sorts by offset); overlap is not. Headers may sit apart from their data.</summary>
    public static void RequireDisjoint(IReadOnlyList<TensorEntry> entries)
    {
        var extents = entries
            .SelectMany(e => new[] { (Start: e.HeaderOffset, End: e.HeaderEnd, What: "header", Entry: e), (Start: e.DataOffset, End: e.DataEnd, What: "data", Entry: e) })
            .Where(x => x.End > x.Start)
            .OrderBy(x => x.Start)
            .ToArray();
        for (var i = 1; i < extents.Length; i++)
        {
            var previous = extents[i - 1];
            var extent = extents[i];
            if (extent.Start < previous.End)
            {
                throw new TensorizerFormatException(
                    $"Tensor '{extent.Entry.Name}' ({extent.What} at {extent.Start}) overlaps tensor '{previous.Entry.Name}' ({previous.What} {previous.Start}..{previous.End}).");
            }
        }
    }
}
