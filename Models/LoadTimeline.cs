using System.Diagnostics;

namespace Models;

/// <summary>The stages of bringing a model folder into service, in the order they run.</summary>
public enum LoadStage
{
    /// <summary>libtorch's one-time start (native libraries, CPU/CUDA initialization).</summary>
    Runtime,

    Tokenizer,

    /// <summary>Building the architecture on meta and giving it uninitialized memory.</summary>
    Construction,

    /// <summary>The weights from storage into the model's tensors, cast while reading where the dtype differs.</summary>
    Read,

    /// <summary>Tensors loaded beside the model and copied in with a cast afterwards (device loads in another dtype).</summary>
    Cast,

    WarmUp,
}

/// <summary>How long one stage took and how many bytes it moved.</summary>
public readonly record struct StageTiming(LoadStage Stage, TimeSpan Elapsed, long Bytes)
{
    public double BytesPerSecond => Bytes / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>
/// The stages of a load as they complete, for telemetry: each is timed on its own, so the read rate is the read's,
/// not diluted by libtorch's start or the tokenizer. Thread-safe; <see cref="Current"/> is the stage under way.
/// </summary>
public sealed class LoadTimeline
{
    private readonly Lock _gate = new();
    private readonly List<StageTiming> _completed = [];

    public LoadStage? Current { get; private set; }

    public IReadOnlyList<StageTiming> Completed
    {
        get
        {
            lock (_gate)
            {
                return [.. _completed];
            }
        }
    }

    public StageTiming? this[LoadStage stage] => Completed.Where(s => s.Stage == stage).Select(s => (StageTiming?)s).FirstOrDefault();

    public T Measure<T>(LoadStage stage, Func<T> work, long bytes = 0)
    {
        ArgumentNullException.ThrowIfNull(work);
        Current = stage;
        var clock = Stopwatch.StartNew();
        var result = work();
        Record(stage, clock.Elapsed, bytes);
        return result;
    }

    public void Measure(LoadStage stage, Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Measure(stage, () =>
        {
            work();
            return 0;
        });
    }

    public void Record(LoadStage stage, TimeSpan elapsed, long bytes = 0)
    {
        lock (_gate)
        {
            _completed.Add(new StageTiming(stage, elapsed, bytes));
        }
    }

    /// <summary>A stage as telemetry spells it: snake case, as <c>/status</c> and the metrics' phase label.</summary>
    public static string NameOf(LoadStage stage) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(stage.ToString());

    /// <summary>"runtime 0.120 s, tokenizer 0.310 s, read 0.201 s (6.1 GB/s), …" for the log.</summary>
    public override string ToString() => string.Join(", ", Completed.Select(s => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"{NameOf(s.Stage)} {s.Elapsed.TotalSeconds:0.000} s{(s.Bytes > 0 ? $" ({s.BytesPerSecond / 1e9:0.00} GB/s)" : "")}")));

    /// <summary>Marks a stage as under way when its timing is recorded separately (asynchronous work).</summary>
    public void Begin(LoadStage stage) => Current = stage;
}
