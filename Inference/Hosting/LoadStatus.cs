namespace Inference.Hosting;

/// <summary>Where the model load stands, for health endpoints, the console and logs.</summary>
public enum LoadPhase
{
    Starting,
    Opening,
    Reading,
    WarmingUp,
    Ready,
    Failed,
}

/// <summary>
/// A snapshot of the load: phase, bytes read of the total, rate, timing, error, and each finished stage on its own
/// (runtime, tokenizer, construction, read, cast, warm-up), so the read rate is the read's alone.
/// </summary>
public sealed record LoadStatus(
    LoadPhase Phase,
    long BytesRead,
    long TotalBytes,
    double BytesPerSecond,
    DateTimeOffset StartedAt,
    TimeSpan Elapsed,
    string? Location,
    string? Error)
{
    /// <summary>The stage under way while loading.</summary>
    public Models.LoadStage? Stage { get; init; }

    public IReadOnlyList<StageStatus> Stages { get; init; } = [];

    /// <summary>The serving engine, once the model is loaded: its limits, the KV cache's budget and use, the sequences running.</summary>
    public EngineStatus? Engine { get; init; }
}

/// <summary>
/// The continuous-batching engine as <c>/status</c> reports it: sequences at once and tokens per step, the KV cache
/// (tokens, bytes preallocated, tokens reserved by running sequences), and the sequences running now.
/// </summary>
public sealed record EngineStatus(int MaxSequences, int MaxBatchedTokens, int CacheTokens, long CacheBytes, int UsedCacheTokens, int Running)
{
    public static EngineStatus Of(Models.Generation.GenerationEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return new(engine.Limits.MaxSequences, engine.Limits.MaxBatchedTokens, engine.CacheTokens, engine.CacheBytes, engine.UsedCacheTokens, engine.Running);
    }
}

/// <summary>One finished stage of the load, as <c>/status</c> reports it.</summary>
public sealed record StageStatus(Models.LoadStage Stage, double Seconds, long Bytes, double BytesPerSecond)
{
    public static StageStatus From(Models.StageTiming timing) => new(timing.Stage, timing.Elapsed.TotalSeconds, timing.Bytes, timing.Bytes > 0 ? timing.BytesPerSecond : 0);
}
