using System.Text.Json.Nodes;

namespace ChatTemplates.Tests;

/// <summary>
/// One case per feature of the subset, from cases/features.json: a template, its variables, and the exact
/// output (or the error) expected. reference/check_jinja2.py checks the same expectations against Python's
/// Jinja2 set up as transformers sets it up; the cases marked "lenient" are where this renderer follows Hugging
/// Face's JavaScript renderer instead (an attribute of undefined is undefined rather than an error).
/// </summary>
public class FeatureTests
{
    private static readonly Lazy<Dictionary<string, JsonObject>> Cases = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "cases", "features.json");
        var cases = JsonNode.Parse(File.ReadAllText(path))!["cases"]!.AsArray();
        return cases.Select(c => c!.AsObject()).ToDictionary(c => (string)c["name"]!, StringComparer.Ordinal);
    });

    public static TheoryData<string> Names => [.. Cases.Value.Keys];

    private static Dictionary<string, JsonNode?> Variables(JsonObject c) =>
        c["vars"] is JsonObject vars ? vars.ToDictionary(kv => kv.Key, kv => kv.Value?.DeepClone()) : [];

    [Theory]
    [MemberData(nameof(Names))]
    public void RendersAsExpected(string name)
    {
        var c = Cases.Value[name];
        var template = (string)c["template"]!;
        if (c["expected"] is JsonNode expected)
        {
            Assert.Equal((string)expected!, ChatTemplate.Parse(template).Render(Variables(c)));
            return;
        }
        var error = (string)c["error"]!;
        var e = Assert.ThrowsAny<TemplateException>(() => ChatTemplate.Parse(template).Render(Variables(c)));
        switch ((string?)c["kind"])
        {
            case "raised":
                var raised = Assert.IsType<TemplateRaisedException>(e);
                Assert.Equal(error, raised.Reason);
                break;
            case "render":
                Assert.IsType<TemplateRenderException>(e);
                Assert.Contains(error, e.Message, StringComparison.Ordinal);
                Assert.True(e.Line > 0, "a render error names its line");
                break;
            default:
                Assert.Contains(error, e.Message, StringComparison.Ordinal);
                break;
        }
    }

    [Fact]
    public void EveryCaseHasAUniqueName() =>
        Assert.Equal(Cases.Value.Count, JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "cases", "features.json")))!["cases"]!.AsArray().Count);
}
