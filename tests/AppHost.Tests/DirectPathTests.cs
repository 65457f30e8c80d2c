using AppHost.Publishing;

namespace AppHost.Tests;

/// <summary>
/// The direct path (<c>publish --checkpoint</c>): no converter Job; a checkpoint on a volume is KServe's
/// <c>storageUri</c> (mounted, not copied), one in S3 or on a hub is the service's <c>MODEL_PATH</c>, streamed by
/// the service itself (KServe's storage initializer would copy it to the pod first).
/// </summary>
public sealed class DirectPathTests
{
    private static string? ModelPath(System.Text.Json.Nodes.JsonNode container) =>
        (string?)container["env"]!.AsArray().Single(e => (string?)e!["name"] == "MODEL_PATH")!["value"];

    [Theory]
    [InlineData(Platform.KServe)]
    [InlineData(Platform.T9k)]
    public void The_seeds_path_keeps_its_converter(Platform platform) =>
        Assert.Contains(ManifestSet.Build(new DeploymentOptions { Platform = platform }), file => file.Name == "converter.yaml");

    [Fact]
    public void A_checkpoint_on_a_volume_is_mounted_as_the_storage_uri_with_no_converter_job()
    {
        var options = new DeploymentOptions { CheckpointUri = "pvc://checkpoints/hf/qwen3" };
        Assert.DoesNotContain(ManifestSet.Build(options), file => file.Name == "converter.yaml");
        Assert.DoesNotContain(Published.Resources(options), r => (string?)r["kind"] is "Job" or "GenericJob");
        var service = Published.Resource(options, "InferenceService");
        Assert.Equal("pvc://checkpoints/hf/qwen3", (string?)service["spec"]!["predictor"]!["model"]!["storageUri"]);
        var runtime = Published.Resource(options, "ServingRuntime");
        Assert.Equal("/mnt/models", ModelPath(runtime["spec"]!["containers"]![0]!));
    }

    [Theory]
    [InlineData("s3://models/hf/qwen3/")]
    [InlineData("hf://Qwen/Qwen3-0.6B@main")]
    [InlineData("modelscope://Qwen/Qwen3-0.6B")]
    [InlineData("https://models.example/qwen3/")]
    public void A_remote_checkpoint_is_streamed_by_the_service_with_no_storage_initializer_and_no_job(string checkpoint)
    {
        var options = new DeploymentOptions { CheckpointUri = checkpoint };
        Assert.DoesNotContain(Published.Resources(options), r => (string?)r["kind"] is "Job" or "GenericJob");
        var service = Published.Resource(options, "InferenceService");
        Assert.Null(service["spec"]!["predictor"]!["model"]!["storageUri"]);
        Assert.Equal(checkpoint, ModelPath(Published.Resource(options, "ServingRuntime")["spec"]!["containers"]![0]!));
    }

    [Fact]
    public void On_t9k_a_volume_checkpoint_is_the_releases_storage_and_a_hub_one_its_model_path()
    {
        var onVolume = Published.Resource(new DeploymentOptions { Platform = Platform.T9k, CheckpointUri = "pvc://checkpoints/qwen3" }, "MLService");
        var pvc = onVolume["spec"]!["releases"]![0]!["predictor"]!["storage"]!["pvc"]!;
        Assert.Equal(("checkpoints", "qwen3"), ((string?)pvc["name"], (string?)pvc["subPath"]));

        var hub = new DeploymentOptions { Platform = Platform.T9k, CheckpointUri = "hf://Qwen/Qwen3-0.6B" };
        Assert.DoesNotContain(Published.Resources(hub), r => (string?)r["kind"] == "GenericJob");
        Assert.Contains("hf://Qwen/Qwen3-0.6B", ManifestWriter.Render(ManifestSet.Build(hub).Single(f => f.Name == "serving.yaml")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://host/model")]
    [InlineData("/mnt/models/qwen3")]
    [InlineData("pvc://Not_A_Claim/qwen3")]
    public void A_checkpoint_of_no_known_form_is_a_problem_naming_the_option(string checkpoint) =>
        Assert.Contains(new DeploymentOptions { CheckpointUri = checkpoint }.Validate(), p => p.StartsWith($"--checkpoint '{checkpoint}'", StringComparison.Ordinal));
}
