using Checkpoints.Builtin;
using Checkpoints.Conversion;

namespace Checkpoints.Sources;

/// <summary>
/// <c>builtin://tiny-gptj</c>: the embedded tiny GPT-J, built on the spot by <see cref="TinyGptjFolder"/> (deterministic
/// bytes, no tensor library), so the whole download-and-convert path runs offline, as the AppHost and the console do locally.
/// </summary>
public sealed class BuiltinSource : ICheckpointSource
{
    public const string TinyGptj = "builtin://tiny-gptj";

    public BuiltinSource(string location)
    {
        Location = location.TrimEnd('/') == TinyGptj
            ? TinyGptj
            : throw new ArgumentException($"Unknown built-in model '{location}'; the built-in model is {TinyGptj}.");
    }

    public string Location { get; }

    public Task<CheckpointListing> ListAsync(CancellationToken cancellationToken) => Task.FromResult(new CheckpointListing(
        "tiny-gptj-1", [new(ModelFiles.TensorsFile, 0), new("config.json", 0), new(Gpt2TokenizerFiles.VocabFile, 0), new(Gpt2TokenizerFiles.MergesFile, 0)]));

    public async Task<string> FetchAsync(
        IReadOnlyList<CheckpointFile> files, string downloadFolder, IProgress<ConversionProgress>? progress, CancellationToken cancellationToken)
    {
        progress?.Report(new ConversionProgress(ConversionPhase.Downloading, 0, 0, 0, 1, TinyGptj));
        await TinyGptjFolder.WriteAsync(downloadFolder, cancellationToken).ConfigureAwait(false);
        var bytes = new DirectoryInfo(downloadFolder).EnumerateFiles().Sum(f => f.Length);
        progress?.Report(new ConversionProgress(ConversionPhase.Downloading, bytes, bytes, 1, 1, TinyGptj));
        return downloadFolder;
    }

    public void Dispose()
    {
    }
}
