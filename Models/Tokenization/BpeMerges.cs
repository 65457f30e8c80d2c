namespace Models.Tokenization;

/// <summary>
/// The merge table of a BPE vocabulary and the merge of one word, in O(n log n): symbols in a doubly linked list,
/// candidate pairs in a heap ordered by (rank, position). This is the order Hugging Face's tokenizers and
/// Microsoft.ML.Tokenizers merge in, stale entries are skipped by the same test (the pair at that position no
/// longer makes the entry's token), so the ids are the same; unlike Microsoft.ML.Tokenizers 2.0.1, which removes
/// merged symbols from an array one at a time (quadratic in a long word), nothing here is ever shifted.
/// </summary>
internal sealed class BpeMerges
{
    // How many heap entries pass between two looks at the cancellation token.
    private const int CancellationStride = 4096;

    private readonly Dictionary<long, (int Rank, int Merged)> _merges;

    private BpeMerges(Dictionary<long, (int Rank, int Merged)> merges) => _merges = merges;

    /// <summary>The table of <paramref name="merges"/> (<c>"left right"</c>, in rank order) over <paramref name="vocabulary"/>.</summary>
    /// <exception cref="InvalidDataException">A merge names a token outside the vocabulary, or a pair twice.</exception>
    public static BpeMerges Create(IReadOnlyList<string> merges, IReadOnlyDictionary<string, int> vocabulary, string source)
    {
        var table = new Dictionary<long, (int Rank, int Merged)>(merges.Count);
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var merge = merges[rank];
            var space = merge.IndexOf(' ', StringComparison.Ordinal);
            var (left, right) = (merge[..space], merge[(space + 1)..]);
            // A merge outside the vocabulary means the two files do not belong together; Hugging Face refuses it too.
            var (hasLeft, hasRight, hasMerged) = (vocabulary.TryGetValue(left, out var leftId), vocabulary.TryGetValue(right, out var rightId), vocabulary.TryGetValue(left + right, out var merged));
            if (!(hasLeft && hasRight && hasMerged))
            {
                var missing = !hasLeft ? left : !hasRight ? right : left + right;
                throw new InvalidDataException($"{source}: the merge '{merge}' uses '{missing}', which is not in the vocabulary.");
            }

            if (!table.TryAdd(Key(leftId, rightId), (rank, merged)))
            {
                throw new InvalidDataException($"{source}: the merge '{merge}' is listed twice.");
            }
        }

        return new BpeMerges(table);
    }

    /// <summary>
    /// Merges the first <paramref name="count"/> ids of <paramref name="symbols"/> (overwritten) and appends the
    /// resulting tokens to <paramref name="output"/>.
    /// </summary>
    public void Merge(int[] symbols, int count, List<int> output, CancellationToken cancellationToken)
    {
        if (count == 0)
        {
            return;
        }

        var previous = new int[count];
        var next = new int[count];
        var queue = new PriorityQueue<(int Position, int Merged), long>(count);
        for (var i = 0; i < count; i++)
        {
            previous[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
            if (i + 1 < count && _merges.TryGetValue(Key(symbols[i], symbols[i + 1]), out var merge))
            {
                queue.Enqueue((i, merge.Merged), Priority(merge.Rank, i));
            }
        }

        var steps = 0;
        while (queue.TryDequeue(out var top, out _))
        {
            if (++steps % CancellationStride == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var position = top.Position;
            var right = next[position];
            if (symbols[position] < 0 || right < 0
                || !_merges.TryGetValue(Key(symbols[position], symbols[right]), out var current) || current.Merged != top.Merged)
            {
                continue; // merged away, last, or a stale entry: the pair here changed since it was queued
            }

            // The merged symbol keeps the left one's position, as in the reference, so positions stay comparable.
            symbols[position] = top.Merged;
            symbols[right] = -1;
            next[position] = next[right];
            if (next[position] >= 0)
            {
                previous[next[position]] = position;
            }

            if (previous[position] is var before and >= 0 && _merges.TryGetValue(Key(symbols[before], top.Merged), out var left))
            {
                queue.Enqueue((before, left.Merged), Priority(left.Rank, before));
            }

            if (next[position] is var after and >= 0 && _merges.TryGetValue(Key(top.Merged, symbols[after]), out var following))
            {
                queue.Enqueue((position, following.Merged), Priority(following.Rank, position));
            }
        }

        // Position 0 is never merged away: a merged symbol keeps its left position.
        for (var i = 0; i >= 0; i = next[i])
        {
            output.Add(symbols[i]);
        }
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    // Lowest rank first, then leftmost.
    private static long Priority(int rank, int position) => ((long)rank << 32) | (uint)position;
}
