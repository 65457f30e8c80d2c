namespace AdminConsole.Services.Inference;

/// <summary>The inference service's load phases, as its <c>/status</c> spells them (snake case).</summary>
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
/// An inference service's <c>GET /status</c>: the console's own copy of the shape, since it talks to services over
/// HTTP only.
/// </summary>
public sealed record ServiceStatus(
    LoadPhase Phase,
    long BytesRead,
    long TotalBytes,
    double BytesPerSecond,
    DateTimeOffset StartedAt,
    TimeSpan Elapsed,
    string? Location,
    string? Error)
{
    public bool IsLoading => Phase is LoadPhase.Starting or LoadPhase.Opening or LoadPhase.Reading or LoadPhase.WarmingUp;

    public double Fraction => TotalBytes > 0 ? Math.Clamp((double)BytesRead / TotalBytes, 0, 1) : Phase == LoadPhase.Ready ? 1 : 0;
}
