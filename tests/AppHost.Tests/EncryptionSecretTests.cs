using System.Text.Json.Nodes;
using AppHost.Publishing;

namespace AppHost.Tests;

/// <summary><c>--encryption-secret</c>: the key's Secret mounted for the service (TENSORIZER_KEY_FILE) and the converter (ENCRYPT_KEY_FILE); nothing without it.</summary>
public sealed class EncryptionSecretTests
{
    private const string KeyFile = "/var/run/secrets/tensorizer/key";

    [Theory]
    [InlineData(Platform.KServe, "ServingRuntime", "spec", "Job", "spec.template.spec")]
    [InlineData(Platform.T9k, "MLServiceRuntime", "spec.template.spec", "GenericJob", "spec.replicaSpecs.0.template.spec")]
    public void The_secret_is_mounted_for_the_service_and_the_converter(Platform platform, string runtime, string runtimePod, string job, string jobPod)
    {
        var options = new DeploymentOptions { Platform = platform, EncryptionSecret = "model-key" };
        AssertMounted(At(Published.Resource(options, runtime), runtimePod), "TENSORIZER_KEY_FILE");
        AssertMounted(At(Published.Resource(options, job), jobPod), "ENCRYPT_KEY_FILE");
        var plainPod = At(Published.Resource(options with { EncryptionSecret = null }, job), jobPod);
        Assert.Single(plainPod["volumes"]!.AsArray()); // the model volume alone, as deploy/ has it
        Assert.Null(plainPod["containers"]![0]!["env"]);
    }

    [Theory]
    [InlineData(Platform.KServe)]
    [InlineData(Platform.T9k)]
    public void The_console_starts_its_converter_jobs_with_the_same_secret(Platform platform)
    {
        string ConsoleEnvironment(DeploymentOptions options) => string.Concat(ManifestSet.Build(options).Select(ManifestWriter.Render));
        var options = new DeploymentOptions { Platform = platform, EncryptionSecret = "model-key" };
        Assert.Matches(@"name: Converter__EncryptionSecret\s+value: model-key", ConsoleEnvironment(options));
        Assert.DoesNotContain("Converter__EncryptionSecret", ConsoleEnvironment(options with { EncryptionSecret = null }), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void The_KServe_runtime_with_the_secret_still_matches_its_crd()
    {
        var crd = CrdSchema.Load("serving.kserve.io_servingruntimes.yaml");
        var errors = crd.Errors(Published.Resource(new DeploymentOptions { EncryptionSecret = "model-key" }, "ServingRuntime"));
        Assert.True(errors.Count == 0, string.Join('\n', errors));
    }

    [Theory]
    [InlineData(Platform.KServe)]
    [InlineData(Platform.T9k)]
    public void Without_the_option_no_manifest_mentions_a_key(Platform platform)
    {
        var text = string.Concat(ManifestSet.Build(new DeploymentOptions { Platform = platform }).Select(ManifestWriter.Render));
        Assert.DoesNotContain("KEY_FILE", text, StringComparison.Ordinal);
        Assert.DoesNotContain("tensorizer-key", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_secret_name_is_a_problem_that_names_the_option() =>
        Assert.Contains(new DeploymentOptions { EncryptionSecret = "Model_Key" }.Validate(), p => p.StartsWith("--encryption-secret 'Model_Key'", StringComparison.Ordinal));

    private static void AssertMounted(JsonNode pod, string variable)
    {
        var volume = Assert.Single(pod["volumes"]!.AsArray(), v => v!["secret"] is not null)!;
        Assert.Equal("model-key", (string?)volume["secret"]!["secretName"]);
        Assert.Equal("key", (string?)volume["secret"]!["items"]![0]!["key"]);
        var container = pod["containers"]![0]!;
        var mount = Assert.Single(container["volumeMounts"]!.AsArray(), m => (string?)m!["name"] == (string?)volume["name"])!;
        Assert.True((bool?)mount["readOnly"]);
        Assert.Equal(KeyFile, (string?)mount["mountPath"] + "/key");
        Assert.Contains(container["env"]!.AsArray(), e => (string?)e!["name"] == variable && (string?)e["value"] == KeyFile);
    }

    private static JsonNode At(JsonNode node, string path) =>
        path.Split('.').Aggregate(node, (current, part) => int.TryParse(part, out var index) ? current[index]! : current[part]!);
}
