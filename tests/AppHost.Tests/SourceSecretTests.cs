using System.Text.Json.Nodes;
using AppHost.Publishing;

namespace AppHost.Tests;

/// <summary>
/// <c>--source-secret</c>: the source's credentials (HF_TOKEN, AWS_…) reach the pod that fetches the checkpoint as
/// variables from a Secret, never as text in a manifest: the converter on the seed's path, the service when it
/// streams a checkpoint itself; nothing without the option.
/// </summary>
public sealed class SourceSecretTests
{
    [Theory]
    [InlineData(Platform.KServe, "Job", "spec.template.spec")]
    [InlineData(Platform.T9k, "GenericJob", "spec.replicaSpecs.0.template.spec")]
    public void The_converter_reads_its_variables_from_the_secret(Platform platform, string job, string jobPod)
    {
        var options = new DeploymentOptions { Platform = platform, SourceSecret = "hub-credentials" };
        Assert.Equal("hub-credentials", SecretOf(At(Published.Resource(options, job), jobPod)["containers"]![0]!));
    }

    [Theory]
    [InlineData(Platform.KServe, "ServingRuntime", "spec")]
    [InlineData(Platform.T9k, "MLServiceRuntime", "spec.template.spec")]
    public void A_service_that_streams_its_checkpoint_reads_the_secret_and_one_that_mounts_it_does_not(Platform platform, string runtime, string runtimePod)
    {
        var streamed = new DeploymentOptions { Platform = platform, SourceSecret = "hub-credentials", CheckpointUri = "hf://Qwen/Qwen3-0.6B@main" };
        Assert.Equal("hub-credentials", SecretOf(At(Published.Resource(streamed, runtime), runtimePod)["containers"]![0]!));
        var converted = streamed with { CheckpointUri = null };
        Assert.Null(At(Published.Resource(converted, runtime), runtimePod)["containers"]![0]!["envFrom"]);
        var mounted = streamed with { CheckpointUri = "pvc://checkpoints/qwen3" };
        Assert.Null(At(Published.Resource(mounted, runtime), runtimePod)["containers"]![0]!["envFrom"]);
    }

    [SkippableFact]
    public void The_runtime_and_the_job_with_the_secret_still_match_their_crds()
    {
        var options = new DeploymentOptions { SourceSecret = "s3-credentials", CheckpointUri = "s3://models/qwen3/" };
        var errors = CrdSchema.Load("serving.kserve.io_servingruntimes.yaml").Errors(Published.Resource(options, "ServingRuntime"));
        Assert.True(errors.Count == 0, string.Join('\n', errors));
    }

    [Theory]
    [InlineData(Platform.KServe)]
    [InlineData(Platform.T9k)]
    public void Without_the_option_no_manifest_reads_a_secret_into_its_environment(Platform platform) =>
        Assert.DoesNotContain("envFrom", string.Concat(ManifestSet.Build(new DeploymentOptions { Platform = platform }).Select(ManifestWriter.Render)), StringComparison.Ordinal);

    [Fact]
    public void A_bad_secret_name_is_a_problem_that_names_the_option() =>
        Assert.Contains(new DeploymentOptions { SourceSecret = "HF Token" }.Validate(), p => p.StartsWith("--source-secret 'HF Token'", StringComparison.Ordinal));

    private static string? SecretOf(JsonNode container) => (string?)Assert.Single(container["envFrom"]!.AsArray())!["secretRef"]!["name"];

    private static JsonNode At(JsonNode node, string path) =>
        path.Split('.').Aggregate(node, (current, part) => int.TryParse(part, out var index) ? current[index]! : current[part]!);
}
