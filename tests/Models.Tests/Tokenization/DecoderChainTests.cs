using System.Text.Json;
using Models.Tokenization.HuggingFace;

namespace Models.Tests.Tokenization;

/// <summary>tokenizer.json's decoders, step by step as Hugging Face's tokenizers 0.22 runs them, whole and streamed.</summary>
public sealed class DecoderChainTests
{
    // Llama 2's and Mistral's decoder.
    private const string SentencePiece = """
        {"type": "Sequence", "decoders": [
          {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"},
          {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
        """;

    [Theory]
    [InlineData(new[] { "▁Hello", "▁world" }, "Hello world")]
    [InlineData(new[] { "▁", "▁a" }, " a")] // one leading space stripped, of the whole text
    [InlineData(new[] { "<0xE6>", "<0x97>", "<0xA5>", "▁x" }, "日 x")]
    [InlineData(new[] { "<0xe6>", "<0x97>", "<0xa5>" }, "日")] // lower-case hex is a byte too
    [InlineData(new[] { "<0xE6>", "<0x97>", "▁x" }, "\uFFFD\uFFFD x")] // an invalid run: one U+FFFD per byte, not a lossy decoding
    [InlineData(new[] { "<0x41>", "<0xE6>" }, "\uFFFD\uFFFD")] // the whole run, valid start included
    [InlineData(new[] { "<0x+F>", "<0x4G>" }, "\u000F<0x4G>")] // Rust's integer parsing takes a plus sign
    [InlineData(new[] { "<s>", "▁Hi" }, "<s> Hi")]
    [InlineData(new string[0], "")]
    public void Sentencepiece_decoder(string[] tokens, string expected) => AssertDecodes(SentencePiece, tokens, expected);

    [Theory]
    [InlineData(new[] { "▁Hello", "▁world" }, "Hello world")]
    [InlineData(new[] { "▁▁x▁", "▁y" }, "x y")] // every marker of the first token goes, not just the leading one
    public void Metaspace_decoder(string[] tokens, string expected) =>
        AssertDecodes("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}""", tokens, expected);

    [Fact]
    public void Metaspace_never_keeps_the_first_space() =>
        AssertDecodes("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": true}""", ["▁a", "▁b"], " a b");

    [Fact]
    public void Strip_after_fuse_strips_the_joined_strings_ends() =>
        AssertDecodes("""{"type": "Sequence", "decoders": [{"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 2, "stop": 1}]}""", ["  a ", " b  "], "a  b ");

    [Fact]
    public void Strip_before_fuse_strips_each_token() =>
        AssertDecodes("""{"type": "Sequence", "decoders": [{"type": "Strip", "content": " ", "start": 1, "stop": 1}, {"type": "Fuse"}]}""", ["  a ", " b "], " ab");

    [Theory]
    [InlineData(new[] { "Hello", "Ġworld" }, "Hello world")]
    [InlineData(new[] { "æĹ", "¥" }, "日")] // a character split over two tokens
    [InlineData(new[] { "æĹ" }, "\uFFFD")] // incomplete at the end: one U+FFFD, as from_utf8_lossy
    [InlineData(new[] { "<|im_start|>", "Ċ" }, "<|im_start|>\n")]
    [InlineData(new[] { "日本" }, "日本")] // outside the alphabet: the token's own UTF-8
    public void Byte_level_decoder(string[] tokens, string expected) =>
        AssertDecodes("""{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true}""", tokens, expected);

    [Fact]
    public void No_decoder_joins_with_spaces()
    {
        using var none = JsonDocument.Parse("null");
        var stream = DecoderChain.Parse(none.RootElement, "tokenizer.json").Start();
        Assert.Equal("a", stream.Push("a"));
        Assert.Equal(" b", stream.Push("b"));
    }

    [Theory]
    [InlineData("""{"type": "WordPiece", "prefix": "##", "cleanup": true}""", "'WordPiece'")]
    [InlineData("""{"type": "Replace", "pattern": {"Regex": " +"}, "content": " "}""", "Regex")]
    [InlineData("""{"type": "Sequence", "decoders": [{"type": "ByteLevel"}, {"type": "Replace", "pattern": {"String": "a"}, "content": "b"}]}""", "'Replace' after 'ByteLevel'")]
    public void Unsupported_decoders_are_refused_by_name(string decoder, string named)
    {
        using var json = JsonDocument.Parse(decoder);
        var e = Assert.Throws<NotSupportedException>(() => DecoderChain.Parse(json.RootElement, "tokenizer.json"));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_byte_fallback_character_streams_once_complete()
    {
        using var json = JsonDocument.Parse(SentencePiece);
        var stream = DecoderChain.Parse(json.RootElement, "tokenizer.json").Start();
        Assert.Equal("Hi", stream.Push("▁Hi"));
        Assert.Equal("", stream.Push("<0xE6>"));
        Assert.Equal("", stream.Push("<0x97>"));
        Assert.Equal("", stream.Push("<0xA5>")); // a run is settled by the next token: it may go on
        Assert.Equal("日!", stream.Push("!"));
        Assert.Equal("", stream.Flush());
    }

    private static void AssertDecodes(string decoder, string[] tokens, string expected)
    {
        using var json = JsonDocument.Parse(decoder);
        var chain = DecoderChain.Parse(json.RootElement, "tokenizer.json");
        var whole = chain.Start();
        foreach (var token in tokens)
        {
            whole.Append(token);
        }

        Assert.Equal(expected, whole.Flush());
        var stream = chain.Start();
        Assert.Equal(expected, string.Concat(tokens.Select(stream.Push)) + stream.Flush());
    }
}
