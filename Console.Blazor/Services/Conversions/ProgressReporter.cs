using Checkpoints.Conversion;

namespace AdminConsole.Services.Conversions;

/// <summary>
/// Turns the converter's progress events into snapshot updates: items and bytes of the current phase, a windowed
/// rate and ETA, elapsed time. Events may come from several download threads at once.
/// </summary>
internal sealed class ProgressReporter(ConversionBoard board, string id, TimeProvider time) : IProgress<ConversionProgress>
{
    private readonly Lock _gate = new();
    private readonly RateEstimator _rate = new(TimeSpan.FromSeconds(5));
    private readonly long _started = time.GetTimestamp();
    private ConversionPhase? _phase;

    public void Report(ConversionProgress value)
    {
        lock (_gate)
        {
            var elapsed = time.GetElapsedTime(_started);
            if (value.Phase != _phase)
            {
                _phase = value.Phase;
                _rate.Reset();
            }

            var (rate, eta) = _rate.Add(elapsed, value.BytesDone, value.TotalBytes);
            board.Update(id, s => s with
            {
                State = ConversionState.Running,
                Phase = value.Phase,
                BytesDone = value.BytesDone,
                TotalBytes = value.TotalBytes,
                ItemsDone = value.ItemsDone,
                ItemCount = value.ItemCount,
                Item = value.Item,
                BytesPerSecond = rate,
                Eta = value.TotalBytes > 0 ? eta : null,
                Elapsed = elapsed,
            });
        }
    }
}
