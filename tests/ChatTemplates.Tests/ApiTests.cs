using System.Text.Json.Nodes;

namespace ChatTemplates.Tests;

/// <summary>The public API around the engine: the context's variables as transformers names them, messages from
/// OpenAI JSON, the model folder's templates and special tokens, the clock, concurrency.</summary>
public class ApiTests
{
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now.ToUniversalTime();

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.CreateCustomTimeZone("fixed", now.Offset, "fixed", "fixed");
    }

    [Fact]
    public void TheContextDefinesWhatTransformersDefines()
    {
        var template = ChatTemplate.Parse(
            "{{ messages | length }}|{{ tools is defined }}{{ tools is none }}|{{ documents is none }}|{{ add_generation_prompt }}|{{ bos_token is defined }}|{{ eos_token }}|{{ enable_thinking }}");
        var rendered = template.Render(new ChatTemplateContext
        {
            Messages = [ChatMessage.User("hi")],
            EosToken = "</s>",
            Variables = new Dictionary<string, JsonNode?> { ["enable_thinking"] = false },
        });
        Assert.Equal("1|TrueTrue|True|True|False|</s>|False", rendered);
    }

    [Fact]
    public void VariablesWinOverTheNamedSettings()
    {
        var template = ChatTemplate.Parse("{{ add_generation_prompt }} {{ bos_token }}");
        Assert.Equal("False <b>", template.Render(new ChatTemplateContext
        {
            BosToken = "<s>",
            Variables = new Dictionary<string, JsonNode?> { ["add_generation_prompt"] = false, ["bos_token"] = "<b>" },
        }));
    }

    [Fact]
    public void MessagesKeepTheirFieldsAndAbsentOnesStayUndefined()
    {
        var template = ChatTemplate.Parse(
            "{% for m in messages %}{{ m.role }}:{{ m.content }}:{{ m.name is defined }}:{{ m.tool_calls is defined }}:{{ m.reasoning_content is defined }}:{{ m.custom }};{% endfor %}");
        var rendered = template.Render(new ChatTemplateContext
        {
            Messages =
            [
                ChatMessage.System("sys"),
                ChatMessage.Assistant(null) with { ReasoningContent = "r" },
                new ChatMessage { Role = "user", Content = "u", Name = "bob", Extra = new Dictionary<string, JsonNode?> { ["custom"] = 7 } },
            ],
        });
        Assert.Equal("system:sys:False:False:False:;assistant:None:False:False:True:;user:u:True:False:False:7;", rendered);
    }

    [Fact]
    public void OpenAiMessagesConvertWithToolCallArgumentsParsedOnRequest()
    {
        var json = JsonNode.Parse("""
            {"role": "assistant", "content": null, "tool_calls": [
              {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"city\": \"Paris\", \"n\": 2}"}},
              {"id": "c2", "type": "function", "function": {"name": "g", "arguments": "not json"}}],
             "refusal": null}
            """)!.AsObject();
        var template = ChatTemplate.Parse(
            "{% for m in messages %}{{ m.content is none }} {% for c in m.tool_calls %}{{ c.function.arguments | tojson }} {% endfor %}{{ m.refusal is defined }}{% endfor %}");
        Assert.Equal("True {\"city\": \"Paris\", \"n\": 2} \"not json\" True",
            template.Render(new ChatTemplateContext { Messages = [ChatMessage.FromJson(json, parseToolCallArguments: true)] }));
        Assert.Equal("True \"{\\\"city\\\": \\\"Paris\\\", \\\"n\\\": 2}\" \"not json\" True",
            template.Render(new ChatTemplateContext { Messages = [ChatMessage.FromJson(json)] }));
        var parts = ChatMessage.FromJson(JsonNode.Parse("""{"role": "user", "content": [{"type": "text", "text": "hi"}]}""")!.AsObject());
        Assert.Equal("hi", ChatTemplate.Parse("{{ messages[0].content[0].text }}").Render(new ChatTemplateContext { Messages = [parts] }));
        Assert.Throws<ArgumentException>(() => ChatMessage.FromJson(new JsonObject { ["content"] = "x" }));
    }

    [Fact]
    public void StrftimeNowReadsTheInjectedClock()
    {
        var clock = new FixedClock(new DateTimeOffset(2024, 7, 6, 21, 5, 3, TimeSpan.FromHours(2)));
        var template = ChatTemplate.Parse("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%-d %B %Y, %A %H:%M:%S %I%p %j %y %%') }}");
        Assert.Equal("06 Jul 2024|6 July 2024, Saturday 21:05:03 09PM 188 24 %", template.Render(new ChatTemplateContext { Clock = clock }));
    }

    [Fact]
    public void NumbersKeepPythonsIntAndFloatWhateverTheirSource()
    {
        var template = ChatTemplate.Parse("{{ a }} {{ b }} {{ c }} {{ d }} {{ e }}");
        Assert.Equal("5 5.0 2.5 7 7.0", template.Render(new Dictionary<string, JsonNode?>
        {
            ["a"] = 5,
            ["b"] = 5.0,
            ["c"] = 2.5m,
            ["d"] = JsonNode.Parse("7"),
            ["e"] = JsonNode.Parse("7.0"),
        }));
    }

    [Fact]
    public void OneParsedTemplateRendersConcurrently()
    {
        var template = ChatTemplate.Parse("{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + m.content | length %}{% endfor %}{{ ns.n }}");
        var results = Enumerable.Range(0, 64).AsParallel().Select(i => template.Render(new ChatTemplateContext
        {
            Messages = [.. Enumerable.Range(0, i).Select(_ => ChatMessage.User("abc"))],
        })).ToList();
        Assert.Equal(Enumerable.Range(0, 64).Select(i => (i * 3).ToString(System.Globalization.CultureInfo.InvariantCulture)), results);
    }

    [Fact]
    public void TokenizerConfigWithOneTemplate()
    {
        var files = ChatTemplateFiles.FromTokenizerConfig("""
            {"chat_template": "{{ bos_token }}hi", "bos_token": "<s>", "eos_token": {"__type": "AddedToken", "content": "</s>", "lstrip": false},
             "pad_token": null, "unk_token": "<unk>"}
            """);
        Assert.Equal("{{ bos_token }}hi", files.Select());
        Assert.Equal("<s>", files.BosToken);
        Assert.Equal("</s>", files.EosToken);
        Assert.False(files.SpecialTokens.ContainsKey("pad_token"));
        Assert.Equal("<unk>", files.SpecialTokens["unk_token"]);
    }

    [Fact]
    public void NamedTemplatesChooseDefaultOrToolUseAsTransformersDoes()
    {
        var files = ChatTemplateFiles.FromTokenizerConfig("""
            {"chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}, {"name": "rag", "template": "R"}]}
            """);
        Assert.Equal("D", files.Select());
        Assert.Equal("T", files.Select(hasTools: true));
        Assert.Equal("R", files.Select("rag"));
        Assert.Contains("no chat template named 'x'", Assert.Throws<TemplateException>(() => files.Select("x")).Message, StringComparison.Ordinal);
        var noDefault = ChatTemplateFiles.FromTokenizerConfig("""{"chat_template": [{"name": "rag", "template": "R"}]}""");
        Assert.Contains("no 'default'", Assert.Throws<TemplateException>(() => noDefault.Select()).Message, StringComparison.Ordinal);
        Assert.Null(ChatTemplateFiles.FromTokenizerConfig("{}").Select());
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1]")]
    [InlineData("""{"chat_template": 3}""")]
    [InlineData("""{"chat_template": [{"name": "default"}]}""")]
    public void BrokenTokenizerConfigsAreClearErrors(string json) =>
        Assert.Throws<TemplateException>(() => ChatTemplateFiles.FromTokenizerConfig(json, "model/tokenizer_config.json"));

    [Fact]
    public void AModelFolderSidecarTemplateWinsOverTheConfig()
    {
        var dir = Directory.CreateTempSubdirectory("chat-templates-");
        try
        {
            Assert.False(ChatTemplateFiles.Load(dir.FullName).HasTemplate);
            File.WriteAllText(Path.Combine(dir.FullName, "tokenizer_config.json"), """{"chat_template": "from config", "eos_token": "</s>"}""");
            Assert.Equal("from config", ChatTemplateFiles.Load(dir.FullName).Select());
            File.WriteAllText(Path.Combine(dir.FullName, "chat_template.jinja"), "from sidecar");
            Directory.CreateDirectory(Path.Combine(dir.FullName, "additional_chat_templates"));
            File.WriteAllText(Path.Combine(dir.FullName, "additional_chat_templates", "tool_use.jinja"), "tools");
            var files = ChatTemplateFiles.Load(dir.FullName);
            Assert.Equal("from sidecar", files.Select());
            Assert.Equal("tools", files.Select(hasTools: true));
            Assert.Equal("</s>", files.EosToken);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
