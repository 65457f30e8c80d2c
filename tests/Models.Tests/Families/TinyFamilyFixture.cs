using Checkpoints.Conversion;
using Models.Generation;
using TestSupport.Families;

namespace Models.Tests.Families;

/// <summary>
/// Every tiny family written as a Hugging Face safetensors checkpoint, converted to <c>.tensors</c> with the
/// project's converter (as <c>convert</c> does), loaded in float32; with its weights for the reference.
/// </summary>
public sealed class TinyFamilyFixture : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("tiny-families-").FullName;
    private readonly Dictionary<string, Loaded> _models = new(StringComparer.Ordinal);

    public Loaded this[string name] => _models[name];

    public async Task InitializeAsync()
    {
        for (var i = 0; i < TinyFamilies.All.Count; i++)
        {
            var family = TinyFamilies.All[i];
            var weights = family.RandomWeights(seed: 17 + i);
            var folder = await WriteAndConvertAsync(Path.Combine(_root, family.Name), family, weights);
            var generator = await ModelFolder.LoadAsync(folder);
            _models[family.Name] = new Loaded(family, folder, generator, new ReferenceTransformer(family, weights));
        }
    }

    /// <summary>Writes the checkpoint under <paramref name="root"/>/checkpoint and converts it to <paramref name="root"/>/model, keeping its dtype.</summary>
    public static async Task<string> WriteAndConvertAsync(string root, TinyFamily family, IReadOnlyDictionary<string, float[]> weights)
    {
        ArgumentNullException.ThrowIfNull(family);
        var checkpoint = Path.Combine(root, "checkpoint");
        family.WriteCheckpoint(checkpoint, weights);
        var output = Path.Combine(root, "model");
        await ModelConverter.ConvertAsync(new ConversionRequest { Source = checkpoint, Output = output, Dtype = "keep" });
        return output;
    }

    public Task DisposeAsync()
    {
        foreach (var model in _models.Values)
        {
            model.Generator.Dispose();
        }

        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    public sealed record Loaded(TinyFamily Family, string Folder, TextGenerator Generator, ReferenceTransformer Reference);
}
