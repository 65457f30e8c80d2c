using AppHost.Publishing;

namespace AppHost.Tests;

/// <summary>The publish command's options: each reaches the manifests, and a bad one stops it with a message that names it.</summary>
public sealed class PublishCommandTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"apphost-publish-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("--pvc-size", "fifty", "--pvc-size 'fifty' is not a Kubernetes quantity")]
    [InlineData("--namespace", "My_Models", "--namespace 'My_Models' is not a Kubernetes name")]
    [InlineData("--access-mode", "ReadWriteAll", "--access-mode 'ReadWriteAll' is not one of")]
    [InlineData("--protocol", "grpc", "--protocol 'grpc' is not v1 or v2")]
    [InlineData("--platform", "openshift", "openshift")]
    [InlineData("--gpus", "one", "one")]
    [InlineData("--min-replicas", "-1", "--min-replicas -1 is less than 0")]
    [InlineData("--startup-seconds", "5", "--startup-seconds 5 is less than 10")]
    [InlineData("--storage-class", "Fast_NVMe", "--storage-class 'Fast_NVMe' is not a Kubernetes name")]
    [InlineData("--encryption-secret", "Model_Key", "--encryption-secret 'Model_Key' is not a Kubernetes name")]
    [InlineData("--registry", "https://registry.example", "--registry 'https://registry.example' is not a registry host")]
    [InlineData("--tag", "-rc1", "--tag '-rc1' is not an image tag")]
    [InlineData("--inference-image", "registry.example/inference 2", "--inference-image 'registry.example/inference 2' is not an image reference")]
    public async Task ABadOptionIsRefusedAndNamed(string option, string value, string message)
    {
        var (code, output, error) = await PublishAsync(option, value);
        Assert.Equal(PublishCommand.BadOptions, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Empty(output);
        Assert.False(Directory.Exists(_folder), "nothing is written when an option is bad");
    }

    [Fact]
    public async Task OptionsReachTheManifests()
    {
        var (code, output, error) = await PublishAsync(
            "--namespace", "ml", "--storage-class", "fast-nvme", "--access-mode", "ReadWriteOnce", "--pvc", "models", "--pvc-size", "200Gi",
            "--inference-image", "registry.example/inference:2", "--gpus", "0", "--protocol", "v2", "--model-name", "tiny", "--source", "builtin://tiny-gptj", "--dtype", "float32");
        Assert.True(code == PublishCommand.Success, error);
        Assert.Equal(4, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var storage = YamlJson.Single(await File.ReadAllTextAsync(Path.Combine(_folder, "storage.yaml")))!;
        Assert.Equal(("models", "ml", "fast-nvme", "ReadWriteOnce", "200Gi"), (
            (string?)storage["metadata"]!["name"], (string?)storage["metadata"]!["namespace"], (string?)storage["spec"]!["storageClassName"],
            (string?)storage["spec"]!["accessModes"]![0], (string?)storage["spec"]!["resources"]!["requests"]!["storage"]));

        var serving = YamlJson.Documents(await File.ReadAllTextAsync(Path.Combine(_folder, "serving.yaml")));
        var container = serving[0]!["spec"]!["containers"]![0]!;
        Assert.Equal("registry.example/inference:2", (string?)container["image"]);
        Assert.Contains(container["env"]!.AsArray(), e => (string?)e!["name"] == "DEVICE" && (string?)e["value"] == "cpu");
        Assert.Contains(container["env"]!.AsArray(), e => (string?)e!["name"] == "DTYPE" && (string?)e["value"] == "float32");
        var model = serving[1]!["spec"]!["predictor"]!["model"]!;
        Assert.Equal("pvc://models/tiny", (string?)model["storageUri"]);
        Assert.Equal("/v2/models/tiny/ready", (string?)model["readinessProbe"]!["httpGet"]!["path"]);
        Assert.Null(model["resources"]!["limits"]!["nvidia.com/gpu"]);

        var converter = YamlJson.Single(await File.ReadAllTextAsync(Path.Combine(_folder, "converter.yaml")))!;
        Assert.Equal(
            "convert --source builtin://tiny-gptj --output /mnt/tiny --dtype float32",
            string.Join(' ', converter["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]!.AsArray()));
    }

    [Fact]
    public async Task RegistryAndTagNameTheImagesBuildImagesBuiltAndAnImageOptionOverridesOne()
    {
        var (code, _, error) = await PublishAsync("--registry", "registry.example:5000/ml/", "--tag", "0.2.0-rc1", "--console-image", "registry.example/console:own");
        Assert.True(code == PublishCommand.Success, error);
        var converter = YamlJson.Single(await File.ReadAllTextAsync(Path.Combine(_folder, "converter.yaml")))!;
        var serving = YamlJson.Documents(await File.ReadAllTextAsync(Path.Combine(_folder, "serving.yaml")));
        var console = YamlJson.Documents(await File.ReadAllTextAsync(Path.Combine(_folder, "console.yaml")));
        var deployment = console.Single(d => (string?)d!["kind"] == "Deployment")!["spec"]!["template"]!["spec"]!["containers"]![0]!;

        Assert.Equal("registry.example:5000/ml/tensorizer-dotnet/downloader:0.2.0-rc1", (string?)converter["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]);
        Assert.Equal("registry.example:5000/ml/tensorizer-dotnet/inference:0.2.0-rc1", (string?)serving[0]!["spec"]!["containers"]![0]!["image"]);
        Assert.Equal("registry.example/console:own", (string?)deployment["image"]);

        // The console starts its own conversion Jobs with the same downloader image.
        Assert.Contains(deployment["env"]!.AsArray(), e => (string?)e!["name"] == "Converter__Image" && (string?)e["value"] == "registry.example:5000/ml/tensorizer-dotnet/downloader:0.2.0-rc1");
    }

    [Fact]
    public void TheDefaultTagIsTheProductVersionTheImagesAreTaggedWith()
    {
        var props = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "Directory.Build.props"));
        Assert.Contains($"<Version>{DeploymentOptions.DefaultTag}</Version>", props, StringComparison.Ordinal);
        Assert.Equal($"tensorizer-dotnet/inference:{DeploymentOptions.DefaultTag}", new DeploymentOptions().InferenceImage);
        foreach (var (project, name) in new[] { ("Inference/Inference.csproj", "inference"), ("Downloader/Downloader.csproj", "downloader"), ("Console.Blazor/Console.Blazor.csproj", "console") })
        {
            var text = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, project));
            Assert.Contains($"<ContainerRepository>{DeploymentOptions.ImageRepository}/{name}</ContainerRepository>", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("kserve")]
    [InlineData("t9k")]
    public async Task TheServiceAndTheConsoleRunTheirImagesEntrypointWithoutArguments(string platform)
    {
        var (code, _, error) = await PublishAsync("--platform", platform);
        Assert.True(code == PublishCommand.Success, error);
        var serving = YamlJson.Documents(await File.ReadAllTextAsync(Path.Combine(_folder, "serving.yaml")));
        var console = YamlJson.Documents(await File.ReadAllTextAsync(Path.Combine(_folder, "console.yaml")));
        var runtime = serving[0]!["spec"]!["containers"] ?? serving[0]!["spec"]!["template"]!["spec"]!["containers"];
        var deployment = console.Single(d => (string?)d!["kind"] == "Deployment")!["spec"]!["template"]!["spec"]!["containers"]![0]!;
        foreach (var container in new[] { runtime![0]!, deployment })
        {
            Assert.Null(container["command"]); // /app/Inference, /app/Console.Blazor (build/Containers.targets)
            Assert.Null(container["args"]);
        }
    }

    [Fact]
    public async Task TheConverterRunsTheImagesEntrypointAsItsNonRootUserOnTheClaim()
    {
        var (code, _, error) = await PublishAsync();
        Assert.True(code == PublishCommand.Success, error);
        var pod = YamlJson.Single(await File.ReadAllTextAsync(Path.Combine(_folder, "converter.yaml")))!["spec"]!["template"]!["spec"]!;
        var container = pod["containers"]![0]!;
        Assert.Null(container["command"]); // the image's entrypoint (/app/downloader) runs the args
        Assert.Equal("convert", (string?)container["args"]![0]);
        Assert.Equal((true, 1654, 1654), ((bool?)pod["securityContext"]!["runAsNonRoot"], (int?)pod["securityContext"]!["runAsUser"], (int?)pod["securityContext"]!["fsGroup"]));
    }

    [Fact]
    public async Task TheEncryptionSecretReachesTheServiceAndTheConverter()
    {
        var (code, _, error) = await PublishAsync("--encryption-secret", "model-key");
        Assert.True(code == PublishCommand.Success, error);
        var converter = await File.ReadAllTextAsync(Path.Combine(_folder, "converter.yaml"));
        var serving = await File.ReadAllTextAsync(Path.Combine(_folder, "serving.yaml"));
        Assert.Contains("secretName: model-key", converter, StringComparison.Ordinal);
        Assert.Contains("ENCRYPT_KEY_FILE", converter, StringComparison.Ordinal);
        Assert.Contains("secretName: model-key", serving, StringComparison.Ordinal);
        Assert.Contains("TENSORIZER_KEY_FILE", serving, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HelpListsTheOptionsWithTheSeedsDefaults()
    {
        var (code, output, _) = await PublishAsync("--help");
        Assert.Equal(PublishCommand.Success, code);
        foreach (var expected in new[] { "--platform", "--pvc-size", "50Gi", "--source", "modelscope://AI-ModelScope/gpt-j-6b", "--inference-image", "--console-image" })
        {
            Assert.Contains(expected, output, StringComparison.Ordinal);
        }
    }

    private async Task<(int Code, string Output, string Error)> PublishAsync(params string[] options)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await PublishCommand.RunAsync([.. options, "--output", _folder], output, error);
        return (code, output.ToString(), error.ToString());
    }
}
