using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using YamlDotNet.RepresentationModel;

namespace Inference.Tests;

/// <summary>
/// OpenAI's OpenAPI 2.0.0 description as KServe vendors it (kserve-openai-openapi-2.0.0.yaml, see <see cref="SharedSpecs"/>)
/// as JSON schemas: each component with its <c>#/components/schemas/…</c> references moved to <c>$defs</c>, and OpenAPI 3.0's dialect turned into JSON Schema's (<c>nullable</c>, boolean <c>exclusiveMinimum</c>).
/// </summary>
internal static class OpenAISchema
{
    private const string SpecFile = "kserve-openai-openapi-2.0.0.yaml";
    private const string ComponentPrefix = "#/components/schemas/";

    private static readonly Lazy<JsonObject> Components = new(LoadComponents);

    private static readonly Dictionary<string, JsonSchema> Schemas = [];

    /// <summary>Fails with every error the validator reports unless <paramref name="instance"/> is a valid <paramref name="component"/>.</summary>
    public static void AssertValid(string component, JsonElement instance)
    {
        var results = Schema(component).Evaluate(JsonNode.Parse(instance.GetRawText()), new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = results.Details.Where(d => d.HasErrors).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Value}"));
        Assert.True(results.IsValid, $"Not a valid {component}: {string.Join("; ", errors)}\n{instance.GetRawText()}");
    }

    private static JsonSchema Schema(string component)
    {
        lock (Schemas)
        {
            if (!Schemas.TryGetValue(component, out var schema))
            {
                Assert.True(Components.Value.ContainsKey(component), $"The spec has no component schema {component}.");
                var document = new JsonObject
                {
                    ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
                    ["$id"] = $"https://inference.tests/openai/{component}",
                    ["$defs"] = Components.Value.DeepClone(),
                    ["$ref"] = $"#/$defs/{component}",
                };
                schema = Schemas[component] = JsonSchema.FromText(document.ToJsonString());
            }

            return schema;
        }
    }

    private static JsonObject LoadComponents()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(SharedSpecs.Find(SpecFile)))
        {
            yaml.Load(reader); // anchors and aliases (the spec shares descriptions and schemas) are resolved here
        }

        var spec = ToJson(yaml.Documents[0].RootNode)!.AsObject();
        var schemas = spec["components"]!["schemas"]!.DeepClone().AsObject();
        return (JsonObject)ToJsonSchema(schemas)!;
    }

    /// <summary>YAML to JSON with YAML's core types: plain scalars may be booleans, nulls or numbers; quoted ones are strings.</summary>
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p => KeyValuePair.Create(((YamlScalarNode)p.Key).Value!, ToJson(p.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: var text } => text switch
        {
            null or "" or "~" or "null" => null,
            "true" => JsonValue.Create(true),
            "false" => JsonValue.Create(false),
            _ when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) => JsonValue.Create(integer),
            _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
            _ => JsonValue.Create(text),
        },
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => throw new InvalidDataException($"Unexpected YAML node {node.NodeType} at {node.Start}."),
    };

    /// <summary>References to <c>$defs</c>; <c>nullable: true</c> as "null, or the schema"; a boolean exclusiveMinimum as the number.</summary>
    private static JsonNode? ToJsonSchema(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o.ToList())
                {
                    o[key] = ToJsonSchema(child?.DeepClone());
                }

                if (o["$ref"] is JsonValue reference && reference.GetValue<string>() is var target && target.StartsWith(ComponentPrefix, StringComparison.Ordinal))
                {
                    o["$ref"] = "#/$defs/" + target[ComponentPrefix.Length..];
                }

                if (o["exclusiveMinimum"] is JsonValue exclusive && exclusive.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
                {
                    o.Remove("exclusiveMinimum");
                    if (exclusive.GetValue<bool>() && o["minimum"] is { } minimum)
                    {
                        o.Remove("minimum");
                        o["exclusiveMinimum"] = minimum.DeepClone();
                    }
                }

                if (o["nullable"] is JsonValue nullable && nullable.GetValueKind() == JsonValueKind.True)
                {
                    o.Remove("nullable");
                    return new JsonObject { ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "null" }, o.DeepClone()) };
                }

                return o;
            case JsonArray a:
                return new JsonArray([.. a.Select(child => ToJsonSchema(child?.DeepClone()))]);
            default:
                return node;
        }
    }
}
