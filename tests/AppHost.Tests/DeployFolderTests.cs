using AppHost.Publishing;

namespace AppHost.Tests;

/// <summary><c>deploy/</c> in the repository holds the manifests the publish command writes with its defaults, for each platform.</summary>
public sealed class DeployFolderTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"apphost-deploy-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("kserve")]
    [InlineData("t9k")]
    public async Task TheCommittedManifestsAreTheGeneratedDefaults(string platform)
    {
        var committed = Path.Combine(RepositoryFiles.Root(), "deploy", platform);
        var regenerate = $"{ManifestWriter.RegenerateCommand} --platform {platform} --output deploy/{platform}";
        Assert.Equal(PublishCommand.Success, await PublishCommand.RunAsync(["--platform", platform, "--output", _folder], TextWriter.Null, TextWriter.Null));

        var generated = Directory.GetFiles(_folder).Select(Path.GetFileName).Order().ToList();
        var present = Directory.Exists(committed) ? Directory.GetFiles(committed).Select(Path.GetFileName).Order().ToList() : [];
        Assert.True(generated.SequenceEqual(present), $"deploy/{platform} holds [{string.Join(", ", present)}], the publish command writes [{string.Join(", ", generated)}]: run `{regenerate}` from the repository root.");
        foreach (var name in generated)
        {
            var expected = await File.ReadAllTextAsync(Path.Combine(_folder, name!));
            var actual = (await File.ReadAllTextAsync(Path.Combine(committed, name!))).ReplaceLineEndings("\n");
            Assert.True(expected == actual, $"deploy/{platform}/{name} is out of date: run `{regenerate}` from the repository root.");
        }
    }
}
