using System.Text.Json.Nodes;
using Checkpoints.Builtin;
using Models.Tokenization;
using Models.Tokenization.HuggingFace;

namespace Models.Tests.Tokenization;

/// <summary>GPT-2's tokenizer as tokenizer.json through Hugging Face's code, against the vocab.json + merges.txt path. No test data needed.</summary>
public sealed class Gpt2TokenizerJsonTests(Gpt2FolderFixture gpt2) : IClassFixture<Gpt2FolderFixture>
{
    [Fact]
    public void Encodes_and_decodes_as_the_vocab_files_do()
    {
        using var folder = new TempDirectory("gpt2-json-");
        Gpt2TokenizerFiles.WriteTokenizerJson(folder.Path);
        using var json = HuggingFaceTokenizer.Load(folder.Path);
        foreach (var text in TokenizerTests.MultiByte.Concat(TokenizerTests.RandomTexts(seed: 5, count: 300)).Append("<|endoftext|>Hi<|endoftext|>"))
        {
            var expected = gpt2.Tokenizer.Encode(text);
            Assert.Equal(expected, json.Encode(text));
            Assert.Equal(expected, json.Encode(text, addSpecialTokens: false));
            Assert.Equal(gpt2.Tokenizer.Decode(expected), json.Decode(expected));
            Assert.Equal(gpt2.Tokenizer.Decode(expected, skipSpecialTokens: true), json.Decode(expected, skipSpecialTokens: true));
        }

        Assert.Null(json.SpecialTokens.EndOfText); // no tokenizer_config.json: the model's config.json names it
        Assert.Equal([50256], json.SpecialTokens.Ids);
        Assert.Equal(gpt2.Tokenizer.LongestTokenBytes, json.MaxBytesPerToken);
        Assert.Equal(50257, json.VocabularySize);
    }

    [Fact]
    public void Tokenizer_json_wins_over_the_vocab_files()
    {
        using var folder = new TempDirectory("gpt2-both-");
        Gpt2TokenizerFiles.Write(folder.Path);
        Assert.IsType<ModelTokenizer>(TextTokenizers.Load(folder.Path));
        Gpt2TokenizerFiles.WriteTokenizerJson(folder.Path);
        var tokenizer = TextTokenizers.Load(folder.Path);
        Assert.IsType<HuggingFaceTokenizer>(tokenizer);
        ((IDisposable)tokenizer).Dispose();
    }

    [Fact]
    public void A_folder_without_tokenizer_files_says_what_it_expected()
    {
        using var folder = new TempDirectory("no-tokenizer-");
        var e = Assert.Throws<FileNotFoundException>(() => TextTokenizers.Load(folder.Path));
        Assert.Contains("tokenizer.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Both_gpt2_paths_stream_the_same_pieces()
    {
        using var folder = new TempDirectory("gpt2-stream-");
        Gpt2TokenizerFiles.WriteTokenizerJson(folder.Path);
        using var json = HuggingFaceTokenizer.Load(folder.Path);
        foreach (var text in TokenizerTests.MultiByte)
        {
            var ids = gpt2.Tokenizer.Encode(text);
            var (a, b) = (gpt2.Tokenizer.CreateStreamDecoder([464], skipSpecialTokens: true), json.CreateStreamDecoder([464], skipSpecialTokens: true));
            Assert.Equal(HuggingFaceTokenizerTests.Stream(a, ids), HuggingFaceTokenizerTests.Stream(b, ids));
        }
    }

    [Theory]
    [InlineData("decoder", """{"type": "WordPiece", "prefix": "##", "cleanup": true}""", "'WordPiece'")]
    [InlineData("post_processor", """{"type": "SomethingNew"}""", "'SomethingNew'")]
    public void An_unsupported_part_is_refused_by_name(string field, string value, string named)
    {
        using var folder = new TempDirectory("gpt2-unsupported-");
        Gpt2TokenizerFiles.WriteTokenizerJson(folder.Path);
        var path = folder.File("tokenizer.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json[field] = JsonNode.Parse(value);
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<NotSupportedException>(() => HuggingFaceTokenizer.Load(folder.Path));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_hugging_face_refuses_is_an_error_naming_it()
    {
        using var folder = new TempDirectory("gpt2-broken-");
        Gpt2TokenizerFiles.WriteTokenizerJson(folder.Path);
        var path = folder.File("tokenizer.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["pre_tokenizer"] = JsonNode.Parse("""{"type": "NoSuchPreTokenizer"}""");
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => HuggingFaceTokenizer.Load(folder.Path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }
}
