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

/// <summary>A snapshot of the load: phase, bytes read of the total, rate, timing, error.</summary>
public sealed record LoadStatus(
    LoadPhase Phase,
    long BytesRead,
    long TotalBytes,
    double BytesPerSecond,
    DateTimeOffset StartedAt,
    TimeSpan Elapsed,
    string? Location,
    string? Error);
