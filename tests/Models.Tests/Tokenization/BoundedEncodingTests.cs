using System.Text;
using Checkpoints.Builtin;
using Microsoft.ML.Tokenizers;
using Models.Tokenization;

namespace Models.Tests.Tokenization;

/// <summary>
/// Encoding gives the ids Microsoft.ML.Tokenizers' BPE gives (the path the tokenizer used before) on any text, long
/// words included, and its cost is bounded: refused early when the text cannot fit, cancellable throughout.
/// </summary>
public sealed class BoundedEncodingTests(Gpt2FolderFixture gpt2) : IClassFixture<Gpt2FolderFixture>
{
    private const int Kilobytes = 1024;

    private readonly Lazy<BpeTokenizer> _reference = new(() => ReferenceBpe(gpt2));

    public static TheoryData<string> LongWordKinds => ["one letter", "random letters", "random unicode letters", "punctuation", "digits", "spaces"];

    [Fact]
    public void Matches_the_reference_bpe_on_varied_text()
    {
        string[] edges = ["", " ", "a", "<|endoftext|>", "x<|endoftext|>y <|endoftext|><|endoftext|>", "\ud800", "a\udc00b", "\ud83d", "🙂\ud83d", "   x", "\n\n\nx  "];
        foreach (var text in TokenizerTests.RandomTexts(seed: 11, count: 600).Concat(TokenizerTests.MultiByte).Concat(edges))
        {
            AssertSameAsReference(text);
        }
    }

    [Theory]
    [MemberData(nameof(LongWordKinds))]
    public void Long_words_match_the_reference(string kind)
    {
        foreach (var size in new[] { 300, 5 * Kilobytes, 20 * Kilobytes })
        {
            AssertSameAsReference(LongWord(kind, size, seed: size));
        }
    }

    [Fact]
    public void A_200_kilobyte_word_is_merged_as_gpt2s_original_loop_merges_it()
    {
        // Microsoft.ML.Tokenizers needs minutes for this; GPT-2's own encoder.py loop (lowest-rank pair, all its
        // occurrences left to right, again) takes few rounds on a word of one repeated piece.
        foreach (var piece in new[] { "a", "the" })
        {
            var word = new StringBuilder().Insert(0, piece, 200 * Kilobytes / piece.Length).ToString();
            var expected = OriginalGpt2Merge(word);
            Assert.Equal(expected, gpt2.Tokenizer.Encode(word));
        }
    }

    [Fact]
    public void Knows_the_longest_token()
    {
        // GPT-2's longest entries are 128 bytes (runs of '-' or of 'Ã'/'Â' mojibake spelled byte by byte).
        Assert.Equal(128, gpt2.Tokenizer.LongestTokenBytes);
    }

    [Fact]
    public void A_limit_is_exact()
    {
        foreach (var text in TokenizerTests.RandomTexts(seed: 5, count: 100).Append(LongWord("random letters", 3 * Kilobytes, seed: 2)))
        {
            var ids = gpt2.Tokenizer.Encode(text);
            Assert.Equal(ids, gpt2.Tokenizer.Encode(text, ids.Count, CancellationToken.None));
            if (ids.Count > 0)
            {
                var refused = Assert.Throws<PromptTooLongException>(() => gpt2.Tokenizer.Encode(text, ids.Count - 1, CancellationToken.None));
                Assert.Equal(ids.Count - 1, refused.MaxTokens);
            }
        }
    }

    [Fact]
    public void A_text_longer_than_the_byte_bound_is_refused_before_any_tokenizing()
    {
        // Tokenizing looks at the token before each word: refused rather than cancelled proves nothing was tokenized.
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        const int maxTokens = 2000;
        var justOver = new string('a', (maxTokens * gpt2.Tokenizer.LongestTokenBytes) + 1);
        Assert.Throws<PromptTooLongException>(() => gpt2.Tokenizer.Encode(justOver, maxTokens, cancelled.Token));
        Assert.Throws<PromptTooLongException>(() => gpt2.Tokenizer.Encode(new string('a', 64 * 1024 * Kilobytes), maxTokens, cancelled.Token));

        // At the bound itself it is tokenized (and then cancelled here).
        Assert.Throws<OperationCanceledException>(() => gpt2.Tokenizer.Encode(justOver[1..], maxTokens, cancelled.Token));
    }

    [Fact]
    public void A_word_within_the_byte_bound_but_over_the_limit_is_refused()
    {
        var word = new string('a', 64 * Kilobytes); // 16,384 tokens; under 2000 × 128 bytes
        Assert.Throws<PromptTooLongException>(() => gpt2.Tokenizer.Encode(word, 2000, CancellationToken.None));
        Assert.Throws<PromptTooLongException>(() => gpt2.Tokenizer.Encode("hello " + word + " world", 2000, CancellationToken.None));
    }

    [Fact]
    public void Cancellation_stops_the_merge_of_a_long_word()
    {
        // Millions of heap steps: far longer than the 20 ms before the cancel, so only a check inside the merge can end it.
        var word = LongWord("random letters", 4 * 1024 * Kilobytes, seed: 3);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(20));
        Assert.Throws<OperationCanceledException>(() => gpt2.Tokenizer.Encode(word, int.MaxValue, cancel.Token));
    }

    [Fact]
    public void Cancellation_stops_between_words()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => gpt2.Tokenizer.Encode("a few words", 100, cancelled.Token));
        Assert.Empty(gpt2.Tokenizer.Encode("", 0, cancelled.Token));
    }

    private static string LongWord(string kind, int length, int seed)
    {
        var random = new Random(seed);
        string[] unicodeLetters = ["a", "é", "ß", "λ", "ж", "ש", "ع", "日", "本", "한", "𝐀"];
        return kind switch
        {
            "one letter" => new string('a', length),
            "random letters" => new string([.. Enumerable.Range(0, length).Select(_ => (char)('a' + random.Next(26)))]),
            "random unicode letters" => string.Concat(Enumerable.Range(0, length / 2).Select(_ => unicodeLetters[random.Next(unicodeLetters.Length)])),
            "punctuation" => new string([.. Enumerable.Range(0, length).Select(_ => "!-=.,*#"[random.Next(7)])]),
            "digits" => new string([.. Enumerable.Range(0, length).Select(_ => (char)('0' + random.Next(10)))]),
            "spaces" => new string(' ', length) + "x",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    private void AssertSameAsReference(string text)
    {
        var expected = _reference.Value.EncodeToIds(text);
        var actual = gpt2.Tokenizer.Encode(text);
        Assert.True(expected.SequenceEqual(actual), $"'{(text.Length > 60 ? text[..60] + "…" : text)}' ({text.Length} chars): reference {expected.Count} ids, ours {actual.Count}");
    }

    /// <summary>The tokenizer as ModelTokenizer built it before: Microsoft.ML.Tokenizers' byte-level BPE.</summary>
    private static BpeTokenizer ReferenceBpe(Gpt2FolderFixture gpt2)
    {
        var special = new Dictionary<string, int> { [ModelTokenizer.EndOfTextToken] = Gpt2TokenizerFiles.EndOfTextId };
        return BpeTokenizer.Create(new BpeOptions(gpt2.Vocabulary)
        {
            Merges = gpt2.Merges.Skip(1),
            ByteLevel = true,
            SpecialTokens = special,
            PreTokenizer = new RegexPreTokenizer(ModelTokenizer.Gpt2PreTokenizerRegex(), special),
        });
    }

    /// <summary>openai/gpt-2's encoder.py <c>bpe</c> on one word: merge every occurrence of the lowest-ranked pair, repeat.</summary>
    private List<int> OriginalGpt2Merge(string word)
    {
        var ranks = gpt2.Merges.Skip(1).Select((merge, rank) => (merge, rank)).ToDictionary(m => m.merge, m => m.rank, StringComparer.Ordinal);
        var parts = Encoding.UTF8.GetBytes(word).Select(b => ModelTokenizer.ByteToChar[b].ToString()).ToList();
        while (parts.Count > 1)
        {
            var best = parts.Zip(parts.Skip(1), (a, b) => (Rank: ranks.TryGetValue($"{a} {b}", out var r) ? r : int.MaxValue, Left: a, Right: b)).Min();
            if (best.Rank == int.MaxValue)
            {
                break;
            }

            var merged = new List<string>(parts.Count);
            for (var i = 0; i < parts.Count; i++)
            {
                if (i + 1 < parts.Count && parts[i] == best.Left && parts[i + 1] == best.Right)
                {
                    merged.Add(best.Left + best.Right);
                    i++;
                }
                else
                {
                    merged.Add(parts[i]);
                }
            }

            parts = merged;
        }

        return [.. parts.Select(part => gpt2.Vocabulary[part])];
    }
}
