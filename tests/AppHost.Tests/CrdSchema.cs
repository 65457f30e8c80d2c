using System.Text.Json.Nodes;
using Json.Schema;

namespace AppHost.Tests;

/// <summary>
/// A CRD's <c>openAPIV3Schema</c> (of its served version) as a JSON Schema that validates like the API server's
/// structural schema: unknown fields are errors, <c>nullable</c> admits null.
/// </summary>
internal sealed class CrdSchema
{
    private static readonly Dictionary<string, CrdSchema> Loaded = [];

    private readonly JsonSchema _schema;

    private CrdSchema(string file)
    {
        var crd = YamlJson.Single(File.ReadAllText(SharedSpecs.Find(file)))!;
        var version = crd["spec"]!["versions"]!.AsArray().Single(v => v!["served"]!.GetValue<bool>())!;
        Kind = crd["spec"]!["names"]!["kind"]!.GetValue<string>();
        ApiVersion = $"{crd["spec"]!["group"]!.GetValue<string>()}/{version["name"]!.GetValue<string>()}";
        var schema = version["schema"]!["openAPIV3Schema"]!.DeepClone().AsObject();
        MakeStructural(schema);
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        schema["$id"] = $"https://apphost.tests/crds/{file}";
        _schema = JsonSchema.FromText(schema.ToJsonString());
    }

    public string Kind { get; }

    public string ApiVersion { get; }

    public static CrdSchema Load(string file)
    {
        lock (Loaded)
        {
            return Loaded.TryGetValue(file, out var schema) ? schema : Loaded[file] = new CrdSchema(file);
        }
    }

    /// <summary>Every error the validator reports, as "where: what"; empty when valid.</summary>
    public IReadOnlyList<string> Errors(JsonNode? resource)
    {
        var results = _schema.Evaluate(resource, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return results.IsValid
            ? []
            : [.. results.Details.Where(d => d.HasErrors).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))];
    }

    /// <summary>
    /// CRD schemas leave <c>additionalProperties</c> out where Kubernetes means "no others": the API server prunes fields
    /// a structural schema does not declare (silently dropping them), unless <c>x-kubernetes-preserve-unknown-fields</c>
    /// says otherwise. Plain JSON Schema would accept them, so say it explicitly: a misspelt field in our output fails here
    /// instead of vanishing in the cluster. OpenAPI's <c>nullable: true</c> becomes a "null" type.
    /// </summary>
    private static void MakeStructural(JsonNode? node)
    {
        if (node is not JsonObject schema)
        {
            return;
        }

        if (schema["nullable"] is JsonValue nullable && nullable.GetValue<bool>() && schema["type"] is JsonValue type)
        {
            schema["type"] = new JsonArray(type.GetValue<string>(), "null");
        }

        schema.Remove("nullable");
        var preserveUnknown = schema["x-kubernetes-preserve-unknown-fields"] is JsonValue preserve && preserve.GetValue<bool>();
        if (schema["properties"] is JsonObject properties)
        {
            if (!preserveUnknown && !schema.ContainsKey("additionalProperties"))
            {
                schema["additionalProperties"] = false;
            }

            foreach (var (_, property) in properties)
            {
                MakeStructural(property);
            }
        }

        MakeStructural(schema["items"]);
        MakeStructural(schema["additionalProperties"]);
        foreach (var keyword in new[] { "allOf", "anyOf", "oneOf" })
        {
            foreach (var branch in schema[keyword]?.AsArray() ?? [])
            {
                MakeStructural(branch);
            }
        }
    }
}
