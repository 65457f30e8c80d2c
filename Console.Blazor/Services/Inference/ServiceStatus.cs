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

/// <summary>The stages of a load, as the service's <c>/status</c> spells them (snake case). Some overlap: the tokenizer loads beside the rest.</summary>
public enum LoadStage
{
    Runtime,
    Tokenizer,
    Construction,
    Read,
    Cast,
    WarmUp,
}

/// <summary>One finished stage of a load, timed on its own; bytes and rate are 0 for stages that move none.</summary>
public sealed record StageStatus(LoadStage Stage, double Seconds, long Bytes, double BytesPerSecond);

/// <summary>
/// An inference service's <c>GET /status</c>: the console's own copy of the shape, since it talks to services over
/// HTTP only. <see cref="Stage"/> and <see cref="Stages"/> are absent from older services' answers.
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
    /// <summary>The stage under way while loading.</summary>
    public LoadStage? Stage { get; init; }

    /// <summary>The finished stages, in the order they finished.</summary>
    public IReadOnlyList<StageStatus> Stages { get; init => field = value ?? []; } = [];

    /// <summary>
    /// The read's own rate when the service reports its stages (the overall rate is diluted by libtorch's start,
    /// construction and the rest), else the overall rate.
    /// </summary>
    public double ReadRate => Stages.FirstOrDefault(s => s.Stage == LoadStage.Read && s.Bytes > 0)?.BytesPerSecond ?? BytesPerSecond;

    public bool IsLoading => Phase is LoadPhase.Starting or LoadPhase.Opening or LoadPhase.Reading or LoadPhase.WarmingUp;

    public double Fraction => TotalBytes > 0 ? Math.Clamp((double)BytesRead / TotalBytes, 0, 1) : Phase == LoadPhase.Ready ? 1 : 0;
}
