using Checkpoints.Conversion;

namespace AdminConsole.Services.Conversions;

/// <summary>Where a conversion stands overall; <see cref="ConversionSnapshot.Phase"/> says which step within a running one.</summary>
public enum ConversionState
{
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>
/// A conversion as the pages show it, replaced whole at each change: state and phase, items (files or tensors) and
/// bytes within the phase, rate and ETA, timing, the error, and (for Jobs) the Job's name, detail and log tail.
/// </summary>
public sealed record ConversionSnapshot(
    string Id,
    ConversionSpec Spec,
    string Source,
    string Output,
    ConversionState State,
    DateTimeOffset StartedAt)
{
    public ConversionPhase? Phase { get; init; }

    public long BytesDone { get; init; }

    public long TotalBytes { get; init; }

    public int ItemsDone { get; init; }

    public int ItemCount { get; init; }

    public string? Item { get; init; }

    public double BytesPerSecond { get; init; }

    public TimeSpan? Eta { get; init; }

    public TimeSpan Elapsed { get; init; }

    public string? Error { get; init; }

    /// <summary>A line on what is happening that the numbers do not say (a Job's pod waiting on its image, a skipped conversion).</summary>
    public string? Detail { get; init; }

    public IReadOnlyList<string> Log { get; init; } = [];

    public bool IsFinished => State is ConversionState.Completed or ConversionState.Failed or ConversionState.Cancelled;

    public double Fraction => State == ConversionState.Completed ? 1 : TotalBytes > 0 ? Math.Clamp((double)BytesDone / TotalBytes, 0, 1) : 0;
}
