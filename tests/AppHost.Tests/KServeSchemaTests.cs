using System.Text.Json.Nodes;
using AppHost.Publishing;

namespace AppHost.Tests;

/// <summary>The KServe resources against KServe's CRDs (docs/specs.md), validated structurally as the API server would.</summary>
public sealed class KServeSchemaTests
{
    private const string RuntimeCrd = "serving.kserve.io_servingruntimes.yaml";
    private const string ServiceCrd = "serving.kserve.io_inferenceservices.yaml";

    private static readonly Dictionary<string, DeploymentOptions> Variants = new()
    {
        ["seed defaults"] = new(),
        ["v2 on CPU"] = new() { Protocol = "v2", Gpus = 0, InferenceCpu = "4", InferenceMemory = "8Gi" },
        ["scaled"] = new() { MinReplicas = 0, ContainerConcurrency = 1, StartupSeconds = 1200, Namespace = "models", StorageClass = "shared-nvme" },
        ["direct from the hub"] = new() { CheckpointUri = "hf://Qwen/Qwen3-0.6B@main" },
        ["direct from a volume"] = new() { CheckpointUri = "pvc://checkpoints/qwen3" },
    };

    [SkippableTheory]
    [InlineData("seed defaults")]
    [InlineData("v2 on CPU")]
    [InlineData("scaled")]
    [InlineData("direct from the hub")]
    [InlineData("direct from a volume")]
    public void ServingResourcesMatchTheirCrds(string variant)
    {
        foreach (var (kind, crdFile) in new[] { ("ServingRuntime", RuntimeCrd), ("InferenceService", ServiceCrd) })
        {
            var crd = CrdSchema.Load(crdFile);
            var resource = Published.Resource(Variants[variant], kind);
            Assert.Equal(crd.Kind, (string?)resource["kind"]);
            Assert.Equal(crd.ApiVersion, (string?)resource["apiVersion"]);
            var errors = crd.Errors(resource);
            Assert.True(errors.Count == 0, $"{kind} ({variant}) does not match {crdFile}:\n{string.Join('\n', errors)}");
        }
    }

    [SkippableTheory]
    [InlineData("spec.predictor.model", "storageURI", "pvc://typo")] // a misspelt field: the API server would drop it
    [InlineData("spec.predictor", "minReplica", 1)]
    [InlineData("spec.predictor", "containerConcurrency", "eight")] // wrong type
    [InlineData("spec.predictor.model.modelFormat", "name", 3)]
    public void ValidationCatchesUnknownFieldsAndWrongTypes(string path, string field, object value)
    {
        var resource = Published.Resource(new DeploymentOptions(), "InferenceService");
        var target = path.Split('.').Aggregate(resource, (node, key) => node[key]!);
        target[field] = JsonValue.Create(value);
        Assert.NotEmpty(CrdSchema.Load(ServiceCrd).Errors(resource));
    }

    [Fact]
    public void TheServiceUsesTheRuntimeForItsModelFormat()
    {
        var options = new DeploymentOptions();
        var runtime = Published.Resource(options, "ServingRuntime");
        var model = Published.Resource(options, "InferenceService")["spec"]!["predictor"]!["model"]!;
        Assert.Equal((string?)runtime["metadata"]!["name"], (string?)model["runtime"]);
        var format = Assert.Single(runtime["spec"]!["supportedModelFormats"]!.AsArray(), f => (string?)f!["name"] == (string?)model["modelFormat"]!["name"])!;
        Assert.True((bool)format["autoSelect"]!);
        Assert.Contains((string?)model["protocolVersion"], runtime["spec"]!["protocolVersions"]!.AsArray().Select(p => (string?)p));
        Assert.Equal("kserve-container", (string?)Assert.Single(runtime["spec"]!["containers"]!.AsArray())!["name"]);
    }

    [Fact]
    public void TheServiceHasTheSeedsStorageGpuAndProbesOnTheModelReadyEndpoint()
    {
        var predictor = Published.Resource(new DeploymentOptions(), "InferenceService")["spec"]!["predictor"]!;
        var model = predictor["model"]!;
        Assert.Equal("pvc://tensorizer/gptj", (string?)model["storageUri"]);
        Assert.Equal(1, (int)model["resources"]!["limits"]!["nvidia.com/gpu"]!);
        Assert.Equal("64Gi", (string?)model["resources"]!["limits"]!["memory"]);
        Assert.Equal(1, (int)predictor["minReplicas"]!);
        Assert.Equal(8, (int)predictor["containerConcurrency"]!);
        foreach (var probe in new[] { model["startupProbe"]!, model["readinessProbe"]! })
        {
            Assert.Equal("/v1/models/gptj", (string?)probe["httpGet"]!["path"]);
            Assert.Equal(8080, (int)probe["httpGet"]!["port"]!);
        }

        var startup = model["startupProbe"]!;
        Assert.True((int)startup["periodSeconds"]! * (int)startup["failureThreshold"]! >= 600, "the startup probe must allow 10 minutes for a 12 GB load");
    }

    [Fact]
    public void TheRuntimeContainerIsConfiguredForTheGpuAndKServesMount()
    {
        var container = Published.Resource(new DeploymentOptions(), "ServingRuntime")["spec"]!["containers"]![0]!;
        var env = container["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => (string?)e!["value"]);
        Assert.Equal("gptj", env["MODEL_NAME"]);
        Assert.Equal("/mnt/models", env["MODEL_PATH"]);
        Assert.Equal("cuda", env["DEVICE"]);
        Assert.Equal("float16", env["DTYPE"]);
        Assert.Equal(8080, (int)container["ports"]![0]!["containerPort"]!);
    }
}
