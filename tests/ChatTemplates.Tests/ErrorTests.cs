using System.Diagnostics;
using System.Text.Json.Nodes;

namespace ChatTemplates.Tests;

/// <summary>Templates outside the subset fail at parse time with what and where; broken or hostile templates fail
/// at render time with a bounded cost.</summary>
public class ErrorTests
{
    private static TemplateSyntaxException ParseFails(string template) =>
        Assert.Throws<TemplateSyntaxException>(() => ChatTemplate.Parse(template));

    [Theory]
    [InlineData("{{ x | frobnicate }}", "Unknown filter 'frobnicate'", 1, 8)]
    [InlineData("{{ x | wordwrap(10) }}", "The filter 'wordwrap' is not supported", 1, 8)]
    [InlineData("{% if x is frob %}{% endif %}", "Unknown test 'frob'", 1, 12)]
    [InlineData("a\n{% frob %}", "Unknown tag 'frob'", 2, 4)]
    [InlineData("{% include 'other.jinja' %}", "The tag 'include' is not supported", 1, 4)]
    [InlineData("{% extends 'base' %}", "The tag 'extends' is not supported", 1, 4)]
    [InlineData("{% raw %}{{ x }}{% endraw %}", "The tag 'raw' is not supported", 1, 4)]
    [InlineData("{{ len(messages) }}", "Unknown function 'len'", 1, 4)]
    [InlineData("{{ cycler('a') }}", "The function 'cycler' is not supported", 1, 4)]
    [InlineData("{{ x.frob() }}", "Unknown method 'frob'", 1, 6)]
    [InlineData("{% break %}", "'break' outside a for loop", 1, 4)]
    [InlineData("{% for x in y %}{% macro m() %}{% continue %}{% endmacro %}{% endfor %}", "'continue' outside a for loop", 1, 35)]
    [InlineData("{% endfor %}", "Unexpected 'endfor'", 1, 4)]
    [InlineData("{% for x in y recursive %}{% endfor %}", "Recursive for loops are not supported", 1, 15)]
    [InlineData("{{ f(*a, 1) }}", "A positional argument follows", 1, 10)]
    [InlineData("{{ }}", "Unexpected '}}'", 1, 4)]
    [InlineData("{{ 1 + }}", "Unexpected '}}'", 1, 8)]
    [InlineData("{{ (1, 2 }}", "Unexpected '}', expected ')'", 1, 10)]
    [InlineData("{{ x ! y }}", "Unexpected character '!'", 1, 6)]
    [InlineData("{% set true = 1 %}", "Cannot assign to 'true'", 1, 8)]
    [InlineData("{{ 99999999999999999999 }}", "too large", 1, 4)]
    public void UnsupportedOrBrokenTemplatesFailAtParseTimeWithThePlace(string template, string message, int line, int column)
    {
        var e = ParseFails(template);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.Contains($"line {line}, column {column}", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hello {{ name", "Unterminated tag: '{{'", 1, 7)]
    [InlineData("x\n  {% if a", "Unterminated tag: '{%'", 2, 3)]
    [InlineData("{# comment", "Unterminated comment", 1, 1)]
    [InlineData("{{ 'abc }}", "Unterminated string literal", 1, 4)]
    [InlineData("{{ x) }}", "Unexpected ')'", 1, 5)]
    public void UnterminatedPiecesNameWhereTheyStart(string template, string message, int line, int column)
    {
        var e = ParseFails(template);
        Assert.Contains(message, e.Reason, StringComparison.Ordinal);
        Assert.Equal((line, column), (e.Line, e.Column));
    }

    [Fact]
    public void AnUnclosedBlockNamesTheOpeningTag()
    {
        var e = ParseFails("line one\n  {% for m in messages %}\n    {% if m.role %}x{% endif %}\n");
        Assert.Contains("the 'for' tag at line 2, column 6 is never closed (expected 'else' or 'endfor')", e.Message, StringComparison.Ordinal);
        var nested = ParseFails("{% if a %}{% elif b %}{% for x in y %}{% endfor %}");
        Assert.Contains("the 'elif' tag at line 1, column 14 is never closed (expected 'elif' or 'else' or 'endif')", nested.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownFunctionsAreFoundEvenInBranchesThatNeverRun()
    {
        // Python's Jinja would fail only when the branch runs; refusing at startup is the point here.
        var e = ParseFails("{% if false %}{{ tokenizer_helper(x) }}{% endif %}");
        Assert.Contains("Unknown function 'tokenizer_helper'", e.Message, StringComparison.Ordinal);
        // A macro defined after its use, a variable set to a macro, and caller() inside a macro are fine.
        ChatTemplate.Parse("{{ later() }}{% macro later() %}x{% endmacro %}{% set f = later %}{{ f() }}{% macro m() %}{{ caller() }}{% endmacro %}");
    }

    private static TemplateLimitException LimitFails(string template, TemplateLimits limits)
    {
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<TemplateLimitException>(() => ChatTemplate.Parse(template, limits).Render(new Dictionary<string, JsonNode?>()));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"stopped after {watch.Elapsed}");
        return e;
    }

    [Fact]
    public void NestedLoopsStopAtTheIterationLimit()
    {
        var e = LimitFails("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", new TemplateLimits { MaxLoopIterations = 50_000 });
        Assert.Contains("more than 50000 iterations", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, e.Line);
    }

    [Fact]
    public void TheDefaultLimitsStopAnEndlessLookingLoopQuickly()
    {
        var e = LimitFails("{% for i in range(100000) %}{% for j in range(100000) %}{{ '' }}{% endfor %}{% endfor %}", TemplateLimits.Default);
        Assert.Contains("iterations", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StepsAreBoundedWhereLoopsAreNot() =>
        LimitFails("{% for i in range(1000) %}{{ i + i + i + i + i + i + i + i }}{% endfor %}", new TemplateLimits { MaxSteps = 5_000 });

    [Fact]
    public void RangeAndListSizesAreBounded()
    {
        LimitFails("{{ range(10 ** 12) | length }}", TemplateLimits.Default);
        // As Jinja's sandbox: at most 100,000 items in a range.
        Assert.Contains("the sandbox blocks ranges larger than 100000", LimitFails("{{ range(100001) | length }}", TemplateLimits.Default).Message, StringComparison.Ordinal);
        Assert.Equal("100000", ChatTemplate.Parse("{{ range(100000) | length }}").Render(new Dictionary<string, JsonNode?>()));
        LimitFails("{{ ([0] * 100000000) | length }}", TemplateLimits.Default);
    }

    [Fact]
    public void StringsThatDoubleEachIterationStopAtTheOutputLimit()
    {
        var e = LimitFails("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}", new TemplateLimits { MaxOutputLength = 1 << 20 });
        Assert.Contains("limit", e.Message, StringComparison.Ordinal);
        LimitFails("{{ 'x' * 10000000000 }}", TemplateLimits.Default);
        LimitFails("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s.replace('a', ns.s) %}{% endfor %}", new TemplateLimits { MaxOutputLength = 1 << 20 });
    }

    [Fact]
    public void OutputIsBounded() =>
        LimitFails("{% for i in range(100000) %}0123456789{% endfor %}", new TemplateLimits { MaxOutputLength = 10_000 });

    [Fact]
    public void EndlessMacroRecursionStopsAtTheCallDepth()
    {
        var e = LimitFails("{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}", TemplateLimits.Default);
        Assert.Contains("Macro calls nest deeper than the limit of 64", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10_000, "{% if true %}", "{% endif %}")]
    [InlineData(100_000, "(", ")")]
    [InlineData(100_000, "[", "]")]
    [InlineData(100_000, "not ", "")]
    [InlineData(100_000, "-", "")]
    public void DeepNestingIsRefusedAtParseTime(int depth, string open, string close)
    {
        var template = open.StartsWith("{%", StringComparison.Ordinal)
            ? string.Concat(Enumerable.Repeat(open, depth)) + string.Concat(Enumerable.Repeat(close, depth))
            : "{{ " + string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth)) + " }}";
        var e = ParseFails(template);
        Assert.Contains("nests deeper than the limit of 128", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NestingWithinTheLimitWorks()
    {
        var template = "{{ " + new string('(', 50) + "1" + new string(')', 50) + " }}" + string.Concat(Enumerable.Repeat("{% if true %}", 50)) + "x" + string.Concat(Enumerable.Repeat("{% endif %}", 50));
        Assert.Equal("1x", ChatTemplate.Parse(template).Render(new Dictionary<string, JsonNode?>()));
    }

    [Fact]
    public void LongTemplatesAreRefused()
    {
        var e = Assert.Throws<TemplateSyntaxException>(() => ChatTemplate.Parse(new string('x', 2000), new TemplateLimits { MaxTemplateLength = 1000 }));
        Assert.Contains("more than the limit of 1000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANamespaceHoldingItselfDoesNotHangPrintingOrJson()
    {
        var template = ChatTemplate.Parse("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}");
        Assert.Throws<TemplateRenderException>(() => template.Render(new Dictionary<string, JsonNode?>()));
        var json = ChatTemplate.Parse("{% set ns = namespace() %}{{ ns | tojson }}");
        Assert.Contains("not JSON serializable", Assert.Throws<TemplateRenderException>(() => json.Render(new Dictionary<string, JsonNode?>())).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IntegersBeyondSixtyFourBitsAreAnErrorNotAWrongNumber()
    {
        var e = Assert.Throws<TemplateRenderException>(() => ChatTemplate.Parse("{{ 2 ** 64 }}").Render(new Dictionary<string, JsonNode?>()));
        Assert.Contains("Integer overflow", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RenderErrorsNameTheExpression()
    {
        var e = Assert.Throws<TemplateRenderException>(() =>
            ChatTemplate.Parse("{% for m in messages %}\n  {{ m.content + 1 }}\n{% endfor %}").Render(new Dictionary<string, JsonNode?>
            {
                ["messages"] = new JsonArray(new JsonObject { ["content"] = "hi" }),
            }));
        Assert.Equal(2, e.Line);
        Assert.Contains("can only concatenate str (not \"int\") to str", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RaiseExceptionCarriesTheTemplatesMessageAndPlace()
    {
        var e = Assert.Throws<TemplateRaisedException>(() =>
            ChatTemplate.Parse("{% if messages | length == 0 %}\n{{- raise_exception('No messages: ' ~ (messages | length)) }}\n{% endif %}")
                .Render(new ChatTemplateContext()));
        Assert.Equal("No messages: 0", e.Reason);
        Assert.Equal(2, e.Line);
    }
}
