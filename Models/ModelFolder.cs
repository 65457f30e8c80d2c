using Models.Architectures;
using Models.Generation;
using Models.Tokenization;
using Tensorizer.Reading;
using Tensorizer.Torch;
using static TorchSharp.torch;

namespace Models;

/// <summary>How to load a model folder.</summary>
public sealed record ModelLoadOptions
{
    public Device Device { get; init; } = CPU;

    /// <summary>Weights are converted to this type on load; float32 on CPU (fp16/bf16 matmuls are slow there).</summary>
    public ScalarType Dtype { get; init; } = ScalarType.Float32;

    /// <summary>Where <c>model.tensors</c> is, when not in the folder (any location: path, http(s)://, s3://).</summary>
    public string? TensorsLocation { get; init; }

    public LoadOptions Load { get; init; } = LoadOptions.Default;
}

/// <summary>
/// A model folder as the seed's download job leaves it on the PVC: <c>config.json</c>, tokenizer files and
/// <c>model.tensors</c>. Loading builds the architecture <c>config.json</c> names, without random init, and fills
/// it straight from the file.
/// </summary>
public static class ModelFolder
{
    public const string TensorsFile = "model.tensors";

    /// <summary>The files beside <c>model.tensors</c> (as the seed's converter copies them), when present.</summary>
    public static readonly IReadOnlyList<string> SideFiles =
    [
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt",
        "special_tokens_map.json", "added_tokens.json",
    ];

    public static async Task<TextGenerator> LoadAsync(
        string folder, ModelLoadOptions? options = null, IProgress<LoadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        options ??= new ModelLoadOptions();
        using var config = ModelConfig.ReadJson(folder);
        var architecture = ModelRegistry.For(config.RootElement);
        var tokenizer = ModelTokenizer.Load(folder);
        var model = architecture.Create(config.RootElement, options.Dtype, options.Device);
        try
        {
            await using var file = await TensorFile.OpenAsync(options.TensorsLocation ?? Path.Combine(folder, TensorsFile), cancellationToken).ConfigureAwait(false);
            var torchOptions = new TorchLoadOptions
            {
                Device = options.Device,
                Load = options.Load,
                Filter = entry => !architecture.IsIgnoredTensor(entry.Name.Text),
            };
            var missing = await file.LoadIntoAsync((nn.Module)model, torchOptions, progress, cancellationToken).ConfigureAwait(false);
            if (missing.Count > 0)
            {
                throw new InvalidDataException($"{file.Source.Location} lacks {missing.Count} of the model's tensors: {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", …" : "")}.");
            }

            return new TextGenerator(model, tokenizer);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
