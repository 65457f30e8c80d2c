using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using YamlDotNet.Serialization;

namespace Inference.Tests;

/// <summary>
/// The Open Inference Protocol's REST spec (kserve-v2-rest_predict_v2.yaml, see <see cref="SharedSpecs"/>) as
/// JSON schemas: each component schema with the spec's <c>#/components/schemas/…</c> references moved to <c>$defs</c>.
/// </summary>
internal static class V2Schema
{
    private const string SpecFile = "kserve-v2-rest_predict_v2.yaml";

    private static readonly Lazy<JsonObject> Components = new(LoadComponents);

    private static readonly Dictionary<string, JsonSchema> Schemas = [];

    /// <summary>Fails with every error the validator reports unless <paramref name="instance"/> is a valid <paramref name="component"/>.</summary>
    public static void AssertValid(string component, JsonElement instance)
    {
        var results = Evaluate(component, instance);
        Assert.True(results.IsValid, $"Not a valid {component}: {Errors(results)}\n{instance.GetRawText()}");
    }

    public static void AssertValid(string component, string json)
    {
        using var document = JsonDocument.Parse(json);
        AssertValid(component, document.RootElement);
    }

    public static bool IsValid(string component, string json)
    {
        using var document = JsonDocument.Parse(json);
        return Evaluate(component, document.RootElement).IsValid;
    }

    private static EvaluationResults Evaluate(string component, JsonElement instance)
    {
        JsonSchema schema;
        lock (Schemas)
        {
            if (!Schemas.TryGetValue(component, out schema!))
            {
                Assert.True(Components.Value.ContainsKey(component), $"The spec has no component schema {component}.");
                var document = new JsonObject
                {
                    ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
                    ["$id"] = $"https://inference.tests/kserve-v2/{component}",
                    ["$defs"] = Components.Value.DeepClone(),
                    ["$ref"] = $"#/$defs/{component}",
                };
                schema = Schemas[component] = JsonSchema.FromText(document.ToJsonString());
            }
        }

        return schema.Evaluate(JsonNode.Parse(instance.GetRawText()), new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    private static string Errors(EvaluationResults results) => string.Join("; ", results.Details
        .Where(d => d.HasErrors)
        .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Value}")));

    private static JsonObject LoadComponents()
    {
        using var reader = new StreamReader(SharedSpecs.Find(SpecFile));
        var spec = ToJson(new DeserializerBuilder().Build().Deserialize(reader))!.AsObject();
        var schemas = spec["components"]!["schemas"]!.DeepClone().AsObject();
        RewriteReferences(schemas);
        return schemas;
    }

    /// <summary>YAML's scalars arrive as strings, which is all the component schemas hold (types, names, titles).</summary>
    private static JsonNode? ToJson(object? yaml) => yaml switch
    {
        null => null,
        IDictionary<object, object> map => new JsonObject(map.Select(p => KeyValuePair.Create((string)p.Key, ToJson(p.Value)))),
        IList<object> list => new JsonArray([.. list.Select(ToJson)]),
        _ => JsonValue.Create(yaml.ToString()),
    };

    private static void RewriteReferences(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                if (o["$ref"] is JsonValue reference && reference.GetValue<string>() is var target && target.StartsWith("#/components/schemas/", StringComparison.Ordinal))
                {
                    o["$ref"] = "#/$defs/" + target["#/components/schemas/".Length..];
                }

                foreach (var (_, child) in o.ToList())
                {
                    RewriteReferences(child);
                }

                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    RewriteReferences(child);
                }

                break;
        }
    }
}
