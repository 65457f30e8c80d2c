using System.Text.Json.Nodes;
using AppHost.Publishing;

namespace AppHost.Tests;

/// <summary>The publish output as the cluster would read it: each manifest file rendered to YAML and parsed back.</summary>
internal static class Published
{
    public static IReadOnlyList<JsonNode> Resources(DeploymentOptions options) =>
        [.. ManifestSet.Build(options).SelectMany(file => YamlJson.Documents(ManifestWriter.Render(file))).Select(resource => resource!)];

    public static JsonNode Resource(DeploymentOptions options, string kind) =>
        Assert.Single(Resources(options), resource => (string?)resource["kind"] == kind);
}
