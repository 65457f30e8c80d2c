using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Inference.Telemetry;

/// <summary>The service's own OpenTelemetry instruments: the model load and the requests.</summary>
public sealed class InferenceMetrics : IDisposable
{
    public const string Name = "Inference";

    private readonly Meter _meter;

    public InferenceMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(Name);
        LoadBytes = _meter.CreateCounter<long>("inference.load.bytes", "By", "Tensor bytes read while loading the model.");
        LoadDuration = _meter.CreateHistogram<double>("inference.load.duration", "s", "Time to load the model, by phase.");
        LoadRate = _meter.CreateHistogram<double>("inference.load.rate", "By/s", "Load throughput.");
        RequestDuration = _meter.CreateHistogram<double>("inference.request.duration", "s", "Generation request latency, by protocol.");
        TimeToFirstToken = _meter.CreateHistogram<double>("inference.request.time_to_first_token", "s", "Time from arrival to the first generated token.", null, LatencyBuckets);
        GeneratedTokens = _meter.CreateCounter<long>("inference.tokens.generated", "{token}", "Tokens generated.");
        BatchSize = _meter.CreateHistogram<int>("inference.batch.size", "{sequence}", "Sequences per engine step.");
        QueueDepth = _meter.CreateUpDownCounter<int>("inference.queue.depth", "{request}", "Requests waiting for the model.");
        RunningSequences = _meter.CreateUpDownCounter<int>("inference.sequences.running", "{sequence}", "Sequences in the engine (prefilling or decoding).");
        KvCacheTokens = _meter.CreateUpDownCounter<long>("inference.kv_cache.capacity", "{token}", "Tokens the preallocated KV cache holds.");
        KvCacheUsedTokens = _meter.CreateUpDownCounter<long>("inference.kv_cache.used", "{token}", "KV cache tokens reserved by running sequences.");
        InterTokenLatency = _meter.CreateHistogram<double>("inference.request.inter_token_latency", "s", "Time between two tokens of one sequence.", null, LatencyBuckets);
    }

    public static ActivitySource Activities { get; } = new(Name);

    /// <summary>Token latencies span a millisecond (a tiny model's step) to a minute (a long prompt behind a full queue).</summary>
    private static InstrumentAdvice<double> LatencyBuckets { get; } = new()
    {
        HistogramBucketBoundaries = [0.001, 0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30, 60],
    };

    public Counter<long> LoadBytes { get; }

    public Histogram<double> LoadDuration { get; }

    public Histogram<double> LoadRate { get; }

    public Histogram<double> RequestDuration { get; }

    public Histogram<double> TimeToFirstToken { get; }

    public Counter<long> GeneratedTokens { get; }

    public Histogram<int> BatchSize { get; }

    public UpDownCounter<int> QueueDepth { get; }

    public UpDownCounter<int> RunningSequences { get; }

    public UpDownCounter<long> KvCacheTokens { get; }

    public UpDownCounter<long> KvCacheUsedTokens { get; }

    public Histogram<double> InterTokenLatency { get; }

    public void Dispose() => _meter.Dispose();
}
