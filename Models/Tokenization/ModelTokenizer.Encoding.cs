using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace Models.Tokenization;

/// <summary>
/// Encoding with a bounded cost: linear-time merges, a refusal as soon as the text provably needs more tokens than
/// the caller can take, and a cancellation token looked at between words and inside long ones.
/// </summary>
public sealed partial class ModelTokenizer
{
    // Short words recur; their ids are kept (as Microsoft.ML.Tokenizers does), up to a fixed number of entries.
    private const int CachedWordLength = 16;
    private const int CacheCapacity = 50_000;

    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    /// <summary>Token ids for <paramref name="text"/>; <c>&lt;|endoftext|&gt;</c> and other added tokens in it map to their ids.</summary>
    public IReadOnlyList<int> Encode(string text) => Encode(text, int.MaxValue, CancellationToken.None);

    /// <summary>
    /// Token ids for <paramref name="text"/>, the same as <see cref="Encode(string)"/>, if there are at most
    /// <paramref name="maxTokens"/>. A text longer than <paramref name="maxTokens"/> × the longest token's bytes is
    /// refused before any tokenizing; otherwise tokenizing stops at the first word that goes over.
    /// </summary>
    /// <exception cref="PromptTooLongException">The text needs more than <paramref name="maxTokens"/> tokens.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public IReadOnlyList<int> Encode(string text, int maxTokens, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        if (_addPrefixSpace && text.Length > 0 && text[0] != ' ')
        {
            text = " " + text;
        }

        // Every byte of the text is in exactly one token and no token holds more than LongestTokenBytes of them.
        if (_encodesEveryByte && MinimumTokens(Encoding.UTF8.GetByteCount(text), LongestTokenBytes) > maxTokens)
        {
            throw new PromptTooLongException(maxTokens);
        }

        var ids = new List<int>();
        foreach (var (offset, length) in _preTokenizer.PreTokenize(text))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var word = text.AsSpan(offset, length);
            if (_specialTokens.TryGetValue(word, out var special))
            {
                ids.Add(special);
            }
            else
            {
                EncodeWord(word, ids, maxTokens, cancellationToken);
            }

            if (ids.Count > maxTokens)
            {
                throw new PromptTooLongException(maxTokens);
            }
        }

        return ids;
    }

    /// <summary>
    /// The most bytes of text one token stands for: the longest vocabulary entry (in byte-level characters, one per
    /// byte) or added token (in UTF-8). A text of n bytes needs at least ⌈n / this⌉ tokens.
    /// </summary>
    internal int LongestTokenBytes { get; }

    private static long MinimumTokens(long bytes, int longestToken) => (bytes + longestToken - 1) / longestToken;

    private void EncodeWord(ReadOnlySpan<char> word, List<int> ids, int maxTokens, CancellationToken cancellationToken)
    {
        var cache = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        if (word.Length <= CachedWordLength && cache.TryGetValue(word, out var cached))
        {
            ids.AddRange(cached);
            return;
        }

        var symbols = ArrayPool<int>.Shared.Rent(word.Length * 3); // UTF-8 takes at most 3 bytes per UTF-16 unit
        try
        {
            var count = ByteLevelSymbols(word, symbols);

            // Refused before merging when its bytes alone need more tokens than are left.
            if (ids.Count + MinimumTokens(count, _longestWordToken) > maxTokens)
            {
                throw new PromptTooLongException(maxTokens);
            }

            var start = ids.Count;
            _merges.Merge(symbols, count, ids, cancellationToken);
            if (word.Length <= CachedWordLength && _cache.Count < CacheCapacity)
            {
                cache.TryAdd(word, [.. ids.Skip(start)]);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(symbols);
        }
    }

    /// <summary>
    /// The vocabulary ids of the word's UTF-8 bytes, as Microsoft.ML.Tokenizers spells them: a lone surrogate is
    /// encoded as its own 3-byte sequence, and a byte without an id is skipped (GPT-2's vocabulary has all 256).
    /// </summary>
    private int ByteLevelSymbols(ReadOnlySpan<char> word, int[] symbols)
    {
        var count = 0;
        void Add(int value)
        {
            if (_byteIds[value] is var id and >= 0)
            {
                symbols[count++] = id;
            }
        }

        for (var i = 0; i < word.Length; i++)
        {
            int c = word[i];
            if (c <= 0x7F)
            {
                Add(c);
            }
            else if (c <= 0x7FF)
            {
                Add(0xC0 | (c >> 6));
                Add(0x80 | (c & 0x3F));
            }
            else if (i + 1 < word.Length && char.IsSurrogatePair(word[i], word[i + 1]))
            {
                var scalar = char.ConvertToUtf32(word[i], word[++i]);
                Add(0xF0 | (scalar >> 18));
                Add(0x80 | ((scalar >> 12) & 0x3F));
                Add(0x80 | ((scalar >> 6) & 0x3F));
                Add(0x80 | (scalar & 0x3F));
            }
            else
            {
                Add(0xE0 | (c >> 12));
                Add(0x80 | ((c >> 6) & 0x3F));
                Add(0x80 | (c & 0x3F));
            }
        }

        return count;
    }
}
