using System.Text;
using System.Text.Json;
using Checkpoints.Builtin;
using Microsoft.ML.Tokenizers;
using Models.Tokenization;

namespace Models.Tests.Tokenization;

/// <summary>The GPT-2 tokenizer files generated once, in a temporary folder, with the tokenizer loaded from them.</summary>
public sealed class Gpt2FolderFixture : IDisposable
{
    public Gpt2FolderFixture()
    {
        Folder = Directory.CreateTempSubdirectory("gpt2-tokenizer-").FullName;
        Gpt2TokenizerFiles.Write(Folder);
        Tokenizer = ModelTokenizer.Load(Folder);
        using var vocab = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder, ModelTokenizer.VocabFile)));
        Vocabulary = vocab.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Merges = File.ReadAllLines(Path.Combine(Folder, ModelTokenizer.MergesFile));
    }

    public string Folder { get; }

    public ModelTokenizer Tokenizer { get; }

    public Dictionary<string, int> Vocabulary { get; }

    public string[] Merges { get; }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

public sealed class TokenizerTests(Gpt2FolderFixture gpt2) : IClassFixture<Gpt2FolderFixture>, IDisposable
{
    private static readonly string[] Words =
    [
        "the", "quick", "Brown", "FOX", "jumps", "über", "naïve", "café", "résumé", "Ελληνικά", "русский", "日本語", "中文",
        "한국어", "עברית", "العربية", "हिन्दी", "don't", "I'm", "we'll", "they've", "she'd", "it's", "THE'S", "x", "a1b2",
        "CamelCase", "snake_case", "http://example.com/path?q=1&r=2", "foo.bar()", "<html>", "</div>", "e\u0301", "ﬁ",
    ];

    private static readonly string[] Punctuation =
    [
        ".", ",", "!", "?", "...", "—", "–", "\"", "'", "(", ")", "[", "]", "{", "}", ";", ":", "-", "_", "@", "#", "$", "%",
        "^", "&", "*", "+", "=", "~", "`", "|", "\\", "/", "«", "»", "¿", "¡", "'s", "'ll",
    ];

    private static readonly string[] Whitespace = [" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n", "\u00a0", "\u3000", "\u2003"];

    private static readonly string[] Other =
    [
        "0", "42", "3.14", "1,000,000", "2024", "007", "🙂", "👍🏽", "👨‍👩‍👧", "🇺🇸", "𝐀𝐁𝐂", "Ω", "µ", "™", "©", "\u200b", "\ufeff",
    ];

    internal static readonly string[] MultiByte =
    [
        "naïve café 日本語 🙂", "👨‍👩‍👧 family", "🇺🇸🇯🇵🇩🇪", "𝐀𝐁𝐂 𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "ĀāĂăĄą ŁłŃń", "€100 — ¥200 — ₿3",
        "Ελληνικά русский עברית العربية हिन्दी", "👍🏽👍🏾👍🏿 🧑‍🚀", "한국어 텍스트입니다", "e\u0301 a\u0308 ﬁ",
    ];

    private readonly List<string> _temporary = [];

    [Fact]
    public void Encodes_known_gpt2_ids()
    {
        Assert.Equal([7454, 2402, 257, 640, 11, 612, 373], gpt2.Tokenizer.Encode("Once upon a time, there was"));
        Assert.Equal([15496, 995], gpt2.Tokenizer.Encode("Hello world"));
        Assert.Equal([gpt2.Tokenizer.EndOfTextId!.Value], gpt2.Tokenizer.Encode("<|endoftext|>"));
    }

    [Fact]
    public void Knows_the_end_of_text_token_and_vocabulary_size()
    {
        Assert.Equal(50256, gpt2.Tokenizer.EndOfTextId);
        Assert.Equal(50257, gpt2.Tokenizer.VocabularySize);
        Assert.Equal("<|endoftext|>", gpt2.Tokenizer.Decode([50256]));
    }

    [Fact]
    public void Decodes_ids_without_a_token_to_nothing()
    {
        // GPT-J's embedding has 50400 rows; a tiny random model can sample the unused ones.
        Assert.Equal("Hello world", gpt2.Tokenizer.Decode([15496, 50300, 995, 50399, -1]));
    }

    [Theory]
    [InlineData("naïve café 日本語 🙂")]
    [InlineData("")]
    [InlineData("  leading and trailing  ")]
    [InlineData("tabs\tand\r\nnewlines\n\n")]
    [InlineData("👨‍👩‍👧 𝐀𝐁𝐂 \u200b\ufeff")]
    public void Round_trips_text(string text) => Assert.Equal(text, gpt2.Tokenizer.Decode(gpt2.Tokenizer.Encode(text)));

    [Fact]
    public void Matches_the_librarys_own_gpt2_tiktoken_on_varied_text()
    {
        var tiktoken = TiktokenTokenizer.CreateForModel("gpt2");
        foreach (var text in RandomTexts(seed: 20240601, count: 500))
        {
            var expected = tiktoken.EncodeToIds(text);
            var actual = gpt2.Tokenizer.Encode(text);
            Assert.True(expected.SequenceEqual(actual), $"'{text}': tiktoken [{string.Join(", ", expected)}], ours [{string.Join(", ", actual)}]");
            Assert.Equal(text, gpt2.Tokenizer.Decode(actual));
        }
    }

    [Fact]
    public void Encodes_the_same_from_many_threads()
    {
        var texts = RandomTexts(seed: 3, count: 400).ToArray();
        var expected = texts.Select(gpt2.Tokenizer.Encode).ToArray();
        var tokenizer = ModelTokenizer.Load(gpt2.Folder); // a cold cache, so threads race to fill it
        var actual = new IReadOnlyList<int>[texts.Length];
        Parallel.For(0, texts.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => actual[i] = tokenizer.Encode(texts[i]));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Writes_hugging_faces_gpt2_files()
    {
        Assert.Equal("#version: 0.2", gpt2.Merges[0]);
        Assert.Equal(50001, gpt2.Merges.Length);
        Assert.Equal(["Ġ t", "Ġ a", "h e", "i n", "r e", "o n", "Ġt he"], gpt2.Merges[1..8]);
        Assert.Equal(["om inated", "Ġreg ress", "ĠColl ider", "Ġinform ants", "Ġg azed"], gpt2.Merges[^5..]);
        Assert.Equal(50257, gpt2.Vocabulary.Count);
        Assert.Equal(0, gpt2.Vocabulary["!"]);
        Assert.Equal(262, gpt2.Vocabulary["Ġthe"]);
        Assert.Equal(50256, gpt2.Vocabulary["<|endoftext|>"]);

        var again = NewFolder();
        Gpt2TokenizerFiles.Write(again);
        foreach (var file in new[] { ModelTokenizer.VocabFile, ModelTokenizer.MergesFile })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(gpt2.Folder, file)), File.ReadAllBytes(Path.Combine(again, file)));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tokenizer_json_alone_gives_the_same_ids(bool mergesAsPairs)
    {
        var folder = NewFolder();
        WriteTokenizerJson(folder, mergesAsPairs, extraTokens: 0);
        var tokenizer = ModelTokenizer.Load(folder);

        Assert.Equal(50256, tokenizer.EndOfTextId);
        Assert.Equal(50257, tokenizer.VocabularySize);
        foreach (var text in RandomTexts(seed: 7, count: 200).Append("Once upon a time, there was"))
        {
            Assert.Equal(gpt2.Tokenizer.Encode(text), tokenizer.Encode(text));
        }
    }

    [Fact]
    public void Added_tokens_are_matched_whole_and_decode_as_written()
    {
        // GPT-J's tokenizer adds <|extratoken_1|>… after <|endoftext|>, filling ids up to its embedding size.
        var folder = NewFolder();
        WriteTokenizerJson(folder, mergesAsPairs: false, extraTokens: 143);
        var tokenizer = ModelTokenizer.Load(folder);

        Assert.Equal(50400, tokenizer.VocabularySize);
        var ids = tokenizer.Encode("Hello<|extratoken_1|> world<|extratoken_143|>");
        Assert.Equal([15496, 50257, 995, 50399], ids);
        Assert.Equal("Hello<|extratoken_1|> world<|extratoken_143|>", tokenizer.Decode(ids));
    }

    [Fact]
    public void Reads_a_small_vocabulary_and_the_end_of_text_from_config()
    {
        var folder = NewFolder();
        File.WriteAllText(Path.Combine(folder, ModelTokenizer.VocabFile), """{"a": 0, "b": 1, "ab": 2, "abab": 3}""");
        File.WriteAllText(Path.Combine(folder, ModelTokenizer.MergesFile), "#version: 0.2\na b\nab ab\n");
        File.WriteAllText(Path.Combine(folder, "config.json"), """{"eos_token_id": 1}""");
        var tokenizer = ModelTokenizer.Load(folder);

        Assert.Equal(1, tokenizer.EndOfTextId);
        Assert.Equal(4, tokenizer.VocabularySize);
        Assert.Equal([3, 2, 0], tokenizer.Encode("abababa"));
    }

    [Fact]
    public void Streams_text_without_splitting_characters()
    {
        var splitSeen = false;
        foreach (var text in MultiByte.Concat(RandomTexts(seed: 99, count: 200)))
        {
            var ids = gpt2.Tokenizer.Encode(text);
            var decoder = new StreamingDecoder(gpt2.Tokenizer);
            var streamed = new StringBuilder();
            foreach (var id in ids)
            {
                var piece = decoder.Push(id);
                Assert.DoesNotContain('\uFFFD', piece);
                splitSeen |= piece.Length == 0;
                streamed.Append(piece);
            }

            Assert.Equal("", decoder.Flush());
            Assert.Equal(text, streamed.ToString());
            Assert.Equal(gpt2.Tokenizer.Decode(ids), streamed.ToString());
        }

        Assert.True(splitSeen, "No token ended inside a character: the hold-back path went untested.");
    }

    [Fact]
    public void Streams_invalid_bytes_as_one_shot_decoding_does()
    {
        var byteIds = ModelTokenizer.ByteToChar.Select(c => gpt2.Vocabulary[c.ToString()]).ToArray();
        var random = new Random(5);
        var decoder = new StreamingDecoder(gpt2.Tokenizer);
        for (var round = 0; round < 300; round++)
        {
            // Raw bytes (continuation and lead bytes in any order) mixed with ordinary tokens.
            var ids = Enumerable.Range(0, random.Next(1, 12))
                .Select(_ => random.Next(3) == 0 ? random.Next(256, 50256) : byteIds[random.Next(0x7F, 256)])
                .ToArray();
            var streamed = string.Concat(ids.Select(decoder.Push)) + decoder.Flush();
            Assert.Equal(gpt2.Tokenizer.Decode(ids), streamed);
        }
    }

    [Fact]
    public void Missing_files_are_named()
    {
        var folder = NewFolder();
        var none = Assert.Throws<FileNotFoundException>(() => ModelTokenizer.Load(folder));
        Assert.Contains(ModelTokenizer.VocabFile, none.Message, StringComparison.Ordinal);
        Assert.Contains(ModelTokenizer.TokenizerJsonFile, none.Message, StringComparison.Ordinal);

        File.Copy(Path.Combine(gpt2.Folder, ModelTokenizer.VocabFile), Path.Combine(folder, ModelTokenizer.VocabFile));
        var merges = Assert.Throws<FileNotFoundException>(() => ModelTokenizer.Load(folder));
        Assert.Contains(ModelTokenizer.MergesFile, merges.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"a\": 0, \"b\": ", ModelTokenizer.VocabFile, "not valid JSON")]
    [InlineData("[\"a\", \"b\"]", ModelTokenizer.VocabFile, "not a JSON object")]
    [InlineData("{\"a\": \"zero\"}", ModelTokenizer.VocabFile, "no valid id")]
    [InlineData("{\"a\": -3}", ModelTokenizer.VocabFile, "no valid id")]
    [InlineData("{}", ModelTokenizer.VocabFile, "empty")]
    public void Malformed_vocabulary_is_named(string vocab, string file, string reason)
    {
        var folder = NewFolder();
        File.WriteAllText(Path.Combine(folder, ModelTokenizer.VocabFile), vocab);
        File.WriteAllText(Path.Combine(folder, ModelTokenizer.MergesFile), "#version: 0.2\na b\n");
        var error = Assert.Throws<InvalidDataException>(() => ModelTokenizer.Load(folder));
        Assert.Contains(Path.Combine(folder, file), error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("#version: 0.2\na b\nabc\n", "line 3")]
    [InlineData("#version: 0.2\na  b\n", "line 2")]
    [InlineData("#version: 0.2\na c\n", "'c', which is not in the vocabulary")]
    [InlineData("#version: 0.2\n", "no merges")]
    public void Malformed_merges_are_named(string merges, string reason)
    {
        var folder = NewFolder();
        File.WriteAllText(Path.Combine(folder, ModelTokenizer.VocabFile), """{"a": 0, "b": 1, "ab": 2}""");
        File.WriteAllText(Path.Combine(folder, ModelTokenizer.MergesFile), merges);
        var error = Assert.Throws<InvalidDataException>(() => ModelTokenizer.Load(folder));
        Assert.Contains(Path.Combine(folder, ModelTokenizer.MergesFile), error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_or_unsupported_tokenizer_json_is_named()
    {
        var folder = NewFolder();
        var path = Path.Combine(folder, ModelTokenizer.TokenizerJsonFile);
        File.WriteAllText(path, "{\"model\": {\"type\": \"BPE\", \"vocab\": ");
        Assert.Contains(path, Assert.Throws<InvalidDataException>(() => ModelTokenizer.Load(folder)).Message, StringComparison.Ordinal);

        File.WriteAllText(path, """{"pre_tokenizer": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a"]]}}""");
        Assert.Contains("model.merges[0]", Assert.Throws<InvalidDataException>(() => ModelTokenizer.Load(folder)).Message, StringComparison.Ordinal);

        File.WriteAllText(path, """{"model": {"type": "WordPiece", "vocab": {"a": 0}}}""");
        var unsupported = Assert.Throws<NotSupportedException>(() => ModelTokenizer.Load(folder));
        Assert.Contains(path, unsupported.Message, StringComparison.Ordinal);
        Assert.Contains("WordPiece", unsupported.Message, StringComparison.Ordinal);

        File.WriteAllText(path, """{"pre_tokenizer": {"type": "Metaspace"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}""");
        Assert.Contains(path, Assert.Throws<NotSupportedException>(() => ModelTokenizer.Load(folder)).Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        foreach (var folder in _temporary)
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private string NewFolder()
    {
        var folder = Directory.CreateTempSubdirectory("tokenizer-test-").FullName;
        _temporary.Add(folder);
        return folder;
    }

    /// <summary>tokenizer.json as the tokenizers library saves GPT-2's (or GPT-J's, with its extra tokens).</summary>
    private void WriteTokenizerJson(string folder, bool mergesAsPairs, int extraTokens)
    {
        using var stream = File.Create(Path.Combine(folder, ModelTokenizer.TokenizerJsonFile));
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("version", "1.0");
        json.WriteStartArray("added_tokens");
        WriteAddedToken(json, 50256, "<|endoftext|>");
        for (var i = 1; i <= extraTokens; i++)
        {
            WriteAddedToken(json, 50256 + i, $"<|extratoken_{i}|>");
        }

        json.WriteEndArray();
        json.WriteNull("normalizer");
        json.WriteStartObject("pre_tokenizer");
        json.WriteString("type", "ByteLevel");
        json.WriteBoolean("add_prefix_space", false);
        json.WriteBoolean("trim_offsets", true);
        json.WriteBoolean("use_regex", true);
        json.WriteEndObject();
        json.WriteStartObject("model");
        json.WriteString("type", "BPE");
        json.WriteNull("dropout");
        json.WriteNull("unk_token");
        json.WriteStartObject("vocab");
        foreach (var (token, id) in gpt2.Vocabulary)
        {
            json.WriteNumber(token, id);
        }

        json.WriteEndObject();
        json.WriteStartArray("merges");
        foreach (var merge in gpt2.Merges.Skip(1))
        {
            var parts = merge.Split(' ');
            if (mergesAsPairs)
            {
                json.WriteStartArray();
                json.WriteStringValue(parts[0]);
                json.WriteStringValue(parts[1]);
                json.WriteEndArray();
            }
            else
            {
                json.WriteStringValue(merge);
            }
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteAddedToken(Utf8JsonWriter json, int id, string content)
    {
        json.WriteStartObject();
        json.WriteNumber("id", id);
        json.WriteString("content", content);
        json.WriteBoolean("special", true);
        json.WriteEndObject();
    }

    /// <summary>Seeded text of words, punctuation, numbers, emoji and every kind of whitespace, in random order.</summary>
    internal static IEnumerable<string> RandomTexts(int seed, int count)
    {
        var random = new Random(seed);
        string[][] kinds = [Words, Words, Punctuation, Whitespace, Other];
        for (var i = 0; i < count; i++)
        {
            var text = new StringBuilder();
            for (var piece = random.Next(1, 14); piece > 0; piece--)
            {
                var kind = kinds[random.Next(kinds.Length)];
                text.Append(random.Next(100) == 0 ? ModelTokenizer.EndOfTextToken : kind[random.Next(kind.Length)]);
                if (random.Next(3) == 0)
                {
                    text.Append(' ');
                }
            }

            yield return text.ToString();
        }
    }
}
