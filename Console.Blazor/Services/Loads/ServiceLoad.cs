using AdminConsole.Services.Inference;

namespace AdminConsole.Services.Loads;

/// <summary>A point of a load's chart: seconds since the load started, bytes read, and the rate then.</summary>
public readonly record struct LoadPoint(double Seconds, long BytesRead, double BytesPerSecond);

/// <summary>A finished load (ready or failed), kept for the history table; its rate is the read's (<see cref="ServiceStatus.ReadRate"/>).</summary>
public sealed record LoadRecord(
    DateTimeOffset StartedAt, LoadPhase Outcome, TimeSpan Duration, long Bytes, double BytesPerSecond, string? Location, string? Error);

/// <summary>
/// What the console knows of one service right now: its last status (kept while it is down, marked stale by
/// <see cref="Reachable"/>), the current load's chart points, and past loads, newest first.
/// </summary>
public sealed record ServiceLoad(
    string Name,
    Uri Address,
    ServiceStatus? Status,
    bool Reachable,
    string? Error,
    DateTimeOffset? LastSeen,
    TimeSpan? Latency,
    IReadOnlyList<LoadPoint> Points,
    IReadOnlyList<LoadRecord> History)
{
    public static ServiceLoad Unknown(string name, Uri address) => new(name, address, null, false, null, null, null, [], []);

    /// <summary>Reachable and the model loaded: prompts can be sent.</summary>
    public bool IsReady => Reachable && Status?.Phase == LoadPhase.Ready;

    /// <summary>Not polled yet.</summary>
    public bool IsPending => LastSeen is null && Error is null;
}
