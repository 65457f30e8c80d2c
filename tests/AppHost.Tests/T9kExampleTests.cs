using System.Text.Json.Nodes;
using AppHost.Publishing;

namespace AppHost.Tests;

/// <summary>
/// The T9k output against the fields of the seed's own manifests (t9k/examples, deployments/tensorizer: pvc.yaml,
/// download-job.yaml, runtime.yaml, mlservice.yaml).
/// Deliberate differences, not checked here: our images and converter arguments; the model in a <c>gptj/</c> folder of
/// the claim (<c>subPath</c>) rather than its root; <c>MODEL_NAME</c>/<c>DEVICE</c>/<c>DTYPE</c> instead of the Python
/// server's <c>MODEL_LOAD_TYPE</c>/<c>PYTHONUNBUFFERED</c>; a readiness probe, since our server listens while it loads.
/// </summary>
public sealed class T9kExampleTests
{
    private static readonly IReadOnlyList<JsonNode> Resources = Published.Resources(new DeploymentOptions { Platform = Platform.T9k });

    public static TheoryData<string, string, string> ExampleFields => new()
    {
        // pvc.yaml
        { "PersistentVolumeClaim", "metadata.name", "\"tensorizer\"" },
        { "PersistentVolumeClaim", "spec.accessModes", "[\"ReadWriteMany\"]" },
        { "PersistentVolumeClaim", "spec.resources.requests.storage", "\"50Gi\"" },
        { "PersistentVolumeClaim", "spec.storageClassName", "null" },
        // download-job.yaml
        { "GenericJob", "apiVersion", "\"batch.tensorstack.dev/v1beta1\"" },
        { "GenericJob", "metadata.name", "\"model-download\"" },
        { "GenericJob", "spec.successRules", "[{\"master\": [0]}]" },
        { "GenericJob", "spec.failureRules", "[{\"master\": [0]}]" },
        { "GenericJob", "spec.replicaSpecs[0].type", "\"master\"" },
        { "GenericJob", "spec.replicaSpecs[0].replicas", "1" },
        { "GenericJob", "spec.replicaSpecs[0].restartPolicy", "{\"policy\": \"OnFailure\", \"limit\": 1}" },
        { "GenericJob", "spec.replicaSpecs[0].template.spec.restartPolicy", "\"Never\"" },
        { "GenericJob", "spec.replicaSpecs[0].template.spec.containers[0].name", "\"model-downloader\"" },
        { "GenericJob", "spec.replicaSpecs[0].template.spec.containers[0].imagePullPolicy", "\"IfNotPresent\"" },
        { "GenericJob", "spec.replicaSpecs[0].template.spec.containers[0].resources", "{\"limits\": {\"cpu\": 2, \"memory\": \"40Gi\"}}" },
        { "GenericJob", "spec.replicaSpecs[0].template.spec.containers[0].volumeMounts", "[{\"mountPath\": \"/mnt\", \"name\": \"model-cache\"}]" },
        { "GenericJob", "spec.replicaSpecs[0].template.spec.volumes", "[{\"name\": \"model-cache\", \"persistentVolumeClaim\": {\"claimName\": \"tensorizer\"}}]" },
        // runtime.yaml
        { "MLServiceRuntime", "apiVersion", "\"tensorstack.dev/v1beta1\"" },
        { "MLServiceRuntime", "metadata.name", "\"tensorizer-kserve\"" },
        { "MLServiceRuntime", "spec.enabled", "true" },
        { "MLServiceRuntime", "spec.template.spec.containers[0].name", "\"user-container\"" },
        { "MLServiceRuntime", "spec.template.spec.containers[0].resources", "{\"limits\": {\"cpu\": 2, \"memory\": \"64Gi\", \"nvidia.com/gpu\": 1}}" },
        { "MLServiceRuntime", "spec.template.spec.containers[0].ports", "null" },
        // mlservice.yaml
        { "MLService", "apiVersion", "\"tensorstack.dev/v1beta1\"" },
        { "MLService", "metadata.name", "\"tensorizer-gptj\"" },
        { "MLService", "spec.default", "\"gptj\"" },
        { "MLService", "spec.releases[0].name", "\"gptj\"" },
        { "MLService", "spec.releases[0].predictor.minReplicas", "1" },
        { "MLService", "spec.releases[0].predictor.model", "{\"runtime\": \"tensorizer-kserve\"}" },
        { "MLService", "spec.releases[0].predictor.storage.pvc.name", "\"tensorizer\"" },
        { "MLService", "spec.releases[0].predictor.containersResources", "[{\"name\": \"user-container\", \"resources\": {\"limits\": {\"cpu\": 2, \"memory\": \"64Gi\", \"nvidia.com/gpu\": 1}}}]" },
    };

    [Theory]
    [MemberData(nameof(ExampleFields))]
    public void TheT9kManifestsHaveTheSeedsFields(string kind, string path, string seedJson)
    {
        var resource = Assert.Single(Resources, r => (string?)r["kind"] == kind);
        var actual = At(resource, path);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(seedJson), actual), $"{kind} {path}: the seed has {seedJson}, ours is {actual?.ToJsonString() ?? "null"}");
    }

    [Fact]
    public void TheServerReadsTheModelWhereT9kMountsTheReleasesStorage()
    {
        var storage = At(Assert.Single(Resources, r => (string?)r["kind"] == "MLService"), "spec.releases[0].predictor.storage.pvc")!;
        var env = At(Assert.Single(Resources, r => (string?)r["kind"] == "MLServiceRuntime"), "spec.template.spec.containers[0].env")!.AsArray();
        Assert.Equal("/var/lib/t9k/model", (string?)storage["mountPath"]); // the seed's MODEL_PATH and T9k's default mount
        Assert.Contains(env, e => (string?)e!["name"] == "MODEL_PATH" && (string?)e["value"] == (string?)storage["mountPath"]);
        Assert.Equal("gptj", (string?)storage["subPath"]);
        Assert.Contains("--output /mnt/gptj", string.Join(' ', At(Assert.Single(Resources, r => (string?)r["kind"] == "GenericJob"), "spec.replicaSpecs[0].template.spec.containers[0].args")!.AsArray()));
    }

    [Fact]
    public void TheT9kVariantWritesNoKServeResources() =>
        Assert.DoesNotContain(Resources, r => ((string?)r["apiVersion"])!.Contains("kserve", StringComparison.Ordinal) || (string?)r["kind"] == "Job");

    /// <summary>A dotted path with list indices, e.g. <c>spec.releases[0].name</c>; null where nothing is.</summary>
    private static JsonNode? At(JsonNode node, string path)
    {
        JsonNode? current = node;
        foreach (var part in path.Split('.'))
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            current = current?[bracket < 0 ? part : part[..bracket]];
            if (bracket >= 0)
            {
                var index = int.Parse(part[(bracket + 1)..^1], System.Globalization.CultureInfo.InvariantCulture);
                current = current is JsonArray list && index < list.Count ? list[index] : null;
            }
        }

        return current;
    }
}
