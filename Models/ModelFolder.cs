using System.Diagnostics;
using System.Text.Json;
using Checkpoints;
using Models.Architectures;
using Models.Generation;
using Models.Tokenization;
using Tensorizer.Format;
using Tensorizer.Reading;
using Tensorizer.Sources;
using Tensorizer.Torch;
using static TorchSharp.torch;

namespace Models;

/// <summary>How to load a model folder.</summary>
public sealed record ModelLoadOptions
{
    public Device Device { get; init; } = CPU;

    /// <summary>Weights are converted to this type on load; float32 on CPU (fp16/bf16 matmuls are slow there).</summary>
    public ScalarType Dtype { get; init; } = ScalarType.Float32;

    /// <summary>
    /// Where the weights are, when not in the folder (any location: path, http(s)://, s3://): a <c>.tensors</c> file,
    /// a <c>.safetensors</c> file or a safetensors shard index (<c>*.json</c>).
    /// </summary>
    public string? TensorsLocation { get; init; }

    /// <summary>How to reach remote weights (an HTTP bearer token, S3 settings); null: the defaults and the environment.</summary>
    public SourceOptions? Sources { get; init; }

    /// <summary>
    /// Opens the weights, when neither the folder nor <see cref="TensorsLocation"/>'s name says how (a hub's file
    /// URLs); <see cref="TensorsLocation"/> then only names them in messages.
    /// </summary>
    public Func<CancellationToken, Task<ITensorCheckpoint>>? OpenWeights { get; init; }

    public LoadOptions Load { get; init; } = LoadOptions.Default;

    /// <summary>Receives each stage's timing as it completes (for telemetry); optional.</summary>
    public LoadTimeline? Timeline { get; init; }
}

/// <summary>
/// A model folder as the seed's download job leaves it on the PVC (<c>config.json</c>, tokenizer files and
/// <c>model.tensors</c>), or as Hugging Face publishes it (the same with <c>model.safetensors</c> or its shards and
/// <c>model.safetensors.index.json</c>); with both, <c>model.tensors</c> is preferred. Loading builds the
/// architecture <c>config.json</c> names, without random init, and fills it straight from the weights.
/// </summary>
public static class ModelFolder
{
    /// <summary>The weights file of a model folder (<see cref="ModelFiles.TensorsFile"/>).</summary>
    public const string TensorsFile = ModelFiles.TensorsFile;

    /// <summary>The files beside <c>model.tensors</c> (<see cref="ModelFiles.SideFiles"/>).</summary>
    public static IReadOnlyList<string> SideFiles => ModelFiles.SideFiles;

    public static async Task<TextGenerator> LoadAsync(
        string folder, ModelLoadOptions? options = null, IProgress<LoadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        options ??= new ModelLoadOptions();
        var timeline = options.Timeline ?? new LoadTimeline();
        using var config = ModelConfig.ReadJson(folder);
        var architecture = ModelRegistry.For(config.RootElement);
        var defaults = GenerationDefaults.Read(folder);
        // The tokenizer needs nothing from the weights: it loads on another thread while they are read.
        // Its own thread, not the pool's: CPU-bound for a few hundred ms, it would hold back a small pool's requests.
        var tokenizerLoad = Task.Factory.StartNew(
            () => timeline.Measure(LoadStage.Tokenizer, () => TextTokenizers.Load(folder)), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        timeline.Measure(LoadStage.Runtime, () => TorchRuntime.Start(options.Device));
        var model = timeline.Measure(LoadStage.Construction, () => architecture.Create(config.RootElement, options.Dtype, options.Device));
        try
        {
            if (tokenizerLoad.IsFaulted)
            {
                await tokenizerLoad.ConfigureAwait(false); // a missing or broken tokenizer fails before the long read
            }

            timeline.Begin(LoadStage.Read);
            var clock = Stopwatch.StartNew();
            await using var file = options.OpenWeights is { } open
                ? await open(cancellationToken).ConfigureAwait(false)
                : await TensorCheckpoints.OpenAsync(options.TensorsLocation ?? WeightsIn(folder), options.Sources, cancellationToken: cancellationToken).ConfigureAwait(false);
            var root = config.RootElement;
            var torchOptions = new TorchLoadOptions
            {
                Device = options.Device,
                Load = options.Load,
                Filter = entry => !architecture.IsIgnoredTensor(entry.Name.Text, root),
            };
            CheckTensorNames(file, (nn.Module)model, torchOptions.Filter, ModelType(root));
            var loaded = await file.LoadIntoAsync((nn.Module)model, torchOptions, progress, cancellationToken).ConfigureAwait(false);
            var bytes = file.Tensors.Where(torchOptions.Filter).Sum(e => e.DataLength);
            timeline.Record(LoadStage.Read, clock.Elapsed - loaded.CopyTime, bytes);
            if (loaded.CopiedAfterwards > 0)
            {
                timeline.Record(LoadStage.Cast, loaded.CopyTime);
            }

            if (loaded.Missing.Count > 0)
            {
                throw Lacks(file, loaded.Missing);
            }

            return new TextGenerator(model, await tokenizerLoad.ConfigureAwait(false), defaults);
        }
        catch
        {
            model.Dispose();
            // Observed, whatever it ends with; a tokenizer that did load is released.
            _ = tokenizerLoad.ContinueWith(t => (t.IsCompletedSuccessfully ? t.Result as IDisposable : null)?.Dispose(), TaskScheduler.Default);
            throw;
        }
    }

    /// <summary>
    /// The weights of a local folder: <c>model.tensors</c>, else <c>model.safetensors.index.json</c> (the shards it
    /// names), else <c>model.safetensors</c> (<see cref="ModelFiles.WeightsFiles"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder holds none of them.</exception>
    public static string WeightsIn(string folder) =>
        FindWeights(folder) ?? throw new FileNotFoundException(
            $"{folder} holds no weights: none of {string.Join(", ", ModelFiles.WeightsFiles)}.", Path.Combine(folder, TensorsFile));

    /// <summary>The weights of a local folder as <see cref="WeightsIn"/> finds them; null when it holds none.</summary>
    public static string? FindWeights(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        return ModelFiles.WeightsFiles.Select(name => Path.Combine(folder, name)).FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// Before reading any data: every stored tensor must be one of the model's (an extra one means another
    /// architecture or config than config.json says), and every one of the model's must be stored.
    /// </summary>
    private static void CheckTensorNames(ITensorCheckpoint file, nn.Module model, Func<TensorEntry, bool> filter, string modelType)
    {
        var own = model.named_parameters().Select(p => p.name).Concat(model.named_buffers().Select(b => b.name)).ToHashSet(StringComparer.Ordinal);
        var stored = file.Tensors.Where(filter).ToList();
        var extra = stored.Where(e => e.Kind != TensorKind.Buffer && !own.Contains(e.Name.Text)).Select(e => e.Name.Text).ToList();
        if (extra.Count > 0)
        {
            throw new InvalidDataException(
                $"{file.Location} has {extra.Count} tensor(s) the {modelType} model described by config.json does not: {List(extra)}.");
        }

        var names = stored.Select(e => e.Name.Text).ToHashSet(StringComparer.Ordinal);
        var missing = own.Where(name => !names.Contains(name)).ToList();
        if (missing.Count > 0)
        {
            throw Lacks(file, missing);
        }
    }

    private static InvalidDataException Lacks(ITensorCheckpoint file, IReadOnlyList<string> missing) =>
        new($"{file.Location} lacks {missing.Count} of the model's tensors: {List(missing)}.");

    private static string List(IReadOnlyList<string> names) => $"{string.Join(", ", names.Take(5))}{(names.Count > 5 ? ", …" : "")}";

    private static string ModelType(JsonElement config) =>
        config.TryGetProperty("model_type", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString()! : "configured";
}
