namespace Tensorizer.Format;

/// <summary>
/// Each tensor owns the bytes from its header to its data's end; no two may share any. Upstream refuses overlapping
/// headers too; here it also keeps a hostile index from aliasing one tensor's bytes as another's.
/// </summary>
internal static class TensorExtents
{
    /// <summary>Index order is free (upstream sorts by offset); overlap is not.</summary>
    public static void RequireDisjoint(IReadOnlyList<TensorEntry> entries)
    {
        var byOffset = entries.OrderBy(e => e.HeaderOffset).ToArray();
        for (var i = 1; i < byOffset.Length; i++)
        {
            var previous = byOffset[i - 1];
            var entry = byOffset[i];
            if (entry.HeaderOffset < previous.DataEnd)
            {
                throw new TensorizerFormatException(
                    $"Tensor '{entry.Name}' (header at {entry.HeaderOffset}) overlaps tensor '{previous.Name}' ({previous.HeaderOffset}..{previous.DataEnd}).");
            }
        }
    }
}
