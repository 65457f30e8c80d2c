using System.Diagnostics;
using Inference.Serving;
using Inference.Telemetry;
using Microsoft.Extensions.Options;
using Models;
using Models.Generation;
using Models.TinyModel;
using Tensorizer.Reading;
using static TorchSharp.torch;

namespace Inference.Hosting;

/// <summary>
/// Loads the model in the background at start: liveness is true at once, readiness only once the weights are in
/// and a warm-up generation ran. A failure is kept for the health endpoints and logged; by default the process
/// then exits non-zero so Kubernetes restarts it. The temporary folders it makes (the embedded model, the small files
/// of a model in S3, behind HTTP or on a hub; see <see cref="ModelLocations"/>) are deleted once the load is over, whatever its outcome: everything in them is read during the load.
/// </summary>
public sealed partial class ModelHost(
    IOptions<InferenceOptions> options, InferenceMetrics metrics, IHostApplicationLifetime lifetime, ILogger<ModelHost> logger, IConfiguration configuration) : BackgroundService
{
    private readonly InferenceOptions _options = options.Value;
    private readonly Stopwatch _clock = new();
    private DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private volatile LoadStatus _status = new(LoadPhase.Starting, 0, 0, 0, DateTimeOffset.UtcNow, TimeSpan.Zero, null, null);
    private readonly LoadTimeline _timeline = new();
    private TextGenerator? _generator;
    private GenerationEngine? _engine;
    private IChatRenderer? _chatRenderer;

    public string ModelName => _options.ModelName;

    public bool IsReady => _status.Phase == LoadPhase.Ready;

    public LoadStatus Status => _status with
    {
        Engine = _engine is { } engine ? EngineStatus.Of(engine) : null,
        Elapsed = _status.Phase is LoadPhase.Ready or LoadPhase.Failed ? _status.Elapsed : _clock.Elapsed,
        Stage = _status.Phase is LoadPhase.Ready or LoadPhase.Failed ? null : _timeline.Current,
        Stages = [.. _timeline.Completed.Select(StageStatus.From)],
    };

    /// <summary>The loaded model's generator, for <see cref="ServedModel"/> and the scheduler.</summary>
    /// <exception cref="ModelNotReadyException">Not loaded (yet, or the load failed).</exception>
    internal TextGenerator Generator => _generator ?? throw new ModelNotReadyException(_options.ModelName);

    /// <summary>The continuous-batching engine on the loaded model, its KV cache preallocated, for the scheduler.</summary>
    /// <exception cref="ModelNotReadyException">Not loaded (yet, or the load failed).</exception>
    internal GenerationEngine Engine => _engine ?? throw new ModelNotReadyException(_options.ModelName);

    /// <summary>The loaded model's chat format, for <see cref="ServedModel"/>.</summary>
    /// <exception cref="ModelNotReadyException">Not loaded (yet, or the load failed).</exception>
    internal IChatRenderer ChatRenderer => _chatRenderer ?? throw new ModelNotReadyException(_options.ModelName);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // let the host start listening: liveness must not wait for the load
        _clock.Start();
        // libtorch's first load blocks for a second or more: on its own thread, awaited, never on the pool that
        // serves the health and status requests of the load.
        await Tensorizer.Torch.TorchRuntime.Preload();
        string? location = null;
        string? temporary = null;
        try
        {
            string folder;
            ResolvedModel? resolved = null;
            // Validated at start: there is a model to load (see InferenceOptions).
            var modelPath = _options.ModelLocation!;
            if (_options.IsBuiltinModel)
            {
                folder = temporary = Path.Combine(Path.GetTempPath(), $"inference-tiny-gptj-{Guid.NewGuid():N}");
                LogEmbedded(modelPath, folder);
                await TinyGptj.WriteAsync(folder, stoppingToken);
            }
            else
            {
                // The settings as configured (environment variables in production): S3's, HF_TOKEN, HF_ENDPOINT, …
                resolved = await ModelLocations.ResolveAsync(modelPath, key => configuration[key], stoppingToken);
                folder = resolved.Folder;
                temporary = resolved.Temporary ? folder : null;

                await ModelCompleteness.CheckAsync(modelPath, folder, _options.RequireCompleteModel, logger, stoppingToken);
            }

            // A folder without weights fails in the load itself, after config.json (whose absence says more).
            location = _options.TensorsLocation ?? resolved?.Weights ?? ModelFolder.FindWeights(folder) ?? Path.Combine(folder, ModelFolder.TensorsFile);
            // The load proper (open, read, copy), not building the embedded default: its clock and start time agree.
            _clock.Restart();
            _startedAt = DateTimeOffset.UtcNow;
            using var activity = InferenceMetrics.Activities.StartActivity("model.load");
            activity?.SetTag("model.name", _options.ModelName);
            activity?.SetTag("model.location", location);
            SetPhase(LoadPhase.Opening, location);
            var progress = new Progress(this, location);
            var loadOptions = LoadOptionsFor(_options, location, _timeline) with
            {
                Sources = resolved?.Sources,
                OpenWeights = _options.TensorsLocation is null ? resolved?.OpenWeights : null,
            };
            var generator = await ModelFolder.LoadAsync(folder, loadOptions, progress, stoppingToken);
            var chatRenderer = ChatRenderers.For(folder, generator.Tokenizer); // from the folder's files, while they are there
            var read = _timeline[LoadStage.Read]!.Value;
            metrics.LoadBytes.Add(read.Bytes);
            metrics.LoadRate.Record(read.BytesPerSecond);
            LogDeserialized(read.Bytes, read.Elapsed.TotalSeconds, read.BytesPerSecond / 1e6, location); // the seed's line: the read itself
            activity?.SetTag("load.bytes", read.Bytes);
            activity?.AddEvent(new ActivityEvent("weights.loaded"));

            SetPhase(LoadPhase.WarmingUp, location);
            _timeline.Measure(LoadStage.WarmUp, () => generator.Generate(["Hello"], new GenerationOptions { MaxNewTokens = 1 }, stoppingToken));
            foreach (var stage in _timeline.Completed)
            {
                metrics.LoadDuration.Record(stage.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("phase", LoadTimeline.NameOf(stage.Stage)));
            }

            LogStages(_timeline);
            var engine = generator.CreateEngine(EngineLimitsFor(_options, generator.Model));
            metrics.KvCacheTokens.Add(engine.CacheTokens);
            LogEngine(engine.Limits.MaxSequences, engine.Limits.MaxBatchedTokens, engine.CacheTokens, engine.CacheBytes / 1e6);
            _chatRenderer = chatRenderer;
            _engine = engine;
            _generator = generator;
            _clock.Stop();
            _status = _status with { Phase = LoadPhase.Ready, Elapsed = _clock.Elapsed };
            LogReady(_options.ModelName, _clock.Elapsed.TotalSeconds);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down mid-load
        }
        catch (Exception e)
        {
            _clock.Stop();
            _status = _status with { Phase = LoadPhase.Failed, Error = e.Message, Elapsed = _clock.Elapsed, Location = location };
            LogLoadFailed(e, _options.ModelName, location);
            if (_options.ExitOnLoadFailure)
            {
                Environment.ExitCode = 1;
                lifetime.StopApplication();
            }
        }
        finally
        {
            DeleteTemporary(temporary);
        }
    }

    private void DeleteTemporary(string? folder)
    {
        try
        {
            if (folder is not null && Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogTemporaryLeft(e, folder!);
        }
    }

    /// <summary>
    /// The engine's limits: <see cref="InferenceOptions.KvCacheTokens"/>, else <see cref="InferenceOptions.MaxBatchSize"/>
    /// full contexts within <see cref="InferenceOptions.KvCacheMemoryFraction"/> of the memory the process may use.
    /// </summary>
    internal static EngineLimits EngineLimitsFor(InferenceOptions options, Models.Architectures.ICausalLanguageModel model)
    {
        var tokens = options.KvCacheTokens ?? Math.Min(
            (long)options.MaxBatchSize * model.Config.ContextLength,
            (long)(options.KvCacheMemoryFraction * GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / Math.Max(1, model.KeyValueBytesPerToken)));
        return new EngineLimits(options.MaxBatchSize, options.MaxBatchedTokens, (int)Math.Clamp(tokens, EngineLimits.DefaultPageSize, int.MaxValue / 2));
    }

    public override void Dispose()
    {
        _engine?.Dispose(); // first: it waits for a step in flight, and its cache is the model's
        _generator?.Dispose();
        base.Dispose();
    }

    private static ModelLoadOptions LoadOptionsFor(InferenceOptions options, string tensorsLocation, LoadTimeline timeline) => new()
    {
        TensorsLocation = tensorsLocation,
        Timeline = timeline,
        Device = new Device(options.Device),
        Dtype = Tensorizer.Torch.TorchDtypes.ToScalarType(options.ComputeDtype),
        Load = new LoadOptions { Readers = options.LoadReaders, VerifyHashes = options.VerifyHashes, Decryption = options.ReadDecryptionKey() },
    };

    private void SetPhase(LoadPhase phase, string? location) => _status = _status with { Phase = phase, Location = location, StartedAt = _startedAt };

    [LoggerMessage(Level = LogLevel.Information, Message = "Deserialized {Bytes} bytes in {Seconds:0.00} s, {MegabytesPerSecond:0.0} MB/s using Tensorizer from {Location}")]
    private partial void LogDeserialized(long bytes, double seconds, double megabytesPerSecond, string location);

    [LoggerMessage(Level = LogLevel.Information, Message = "Load stages: {Stages}")]
    private partial void LogStages(LoadTimeline stages);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} is ready after {Seconds:0.00} s")]
    private partial void LogReady(string model, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Loading model {Model} from {Location} failed")]
    private partial void LogLoadFailed(Exception exception, string model, string? location);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete the temporary model folder {Folder}")]
    private partial void LogTemporaryLeft(Exception exception, string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engine: up to {Sequences} sequences and {Tokens} tokens per step; KV cache of {CacheTokens} tokens ({Megabytes:F1} MB) preallocated")]
    private partial void LogEngine(int sequences, int tokens, int cacheTokens, double megabytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving the embedded tiny GPT-J ({Location}) from {Folder}")]
    private partial void LogEmbedded(string location, string folder);

    /// <summary>
    /// Turns the loader's progress into the status snapshot. Reader threads report at once and a report can arrive
    /// after a later one: one at a time, and only forward, so the last word is the furthest (all bytes, at the end).
    /// </summary>
    private sealed class Progress(ModelHost host, string location) : IProgress<LoadProgress>
    {
        private readonly Lock _gate = new();

        public void Report(LoadProgress value)
        {
            lock (_gate)
            {
                if (value.BytesRead < host._status.BytesRead)
                {
                    return;
                }

                var elapsed = host._clock.Elapsed.TotalSeconds;
                host._status = host._status with
                {
                    Phase = LoadPhase.Reading,
                    BytesRead = value.BytesRead,
                    TotalBytes = value.TotalBytes,
                    BytesPerSecond = value.BytesRead / Math.Max(elapsed, 1e-9),
                    Location = location,
                };
            }
        }
    }
}
