namespace AdminConsole.Services.Conversions;

/// <summary>
/// Rate and ETA from (time, bytes) samples over a sliding window, so a stall shows as a falling rate rather than a
/// lifetime average. Reset at each phase (bytes count afresh per phase).
/// </summary>
public sealed class RateEstimator(TimeSpan window)
{
    private readonly Queue<(TimeSpan At, long Bytes)> _samples = new();

    public void Reset() => _samples.Clear();

    public (double BytesPerSecond, TimeSpan? Eta) Add(TimeSpan at, long bytesDone, long totalBytes)
    {
        _samples.Enqueue((at, bytesDone));
        while (_samples.Count > 2 && at - _samples.Peek().At > window)
        {
            _samples.Dequeue();
        }

        var (firstAt, firstBytes) = _samples.Peek();
        var seconds = (at - firstAt).TotalSeconds;
        if (seconds <= 0)
        {
            return (0, null);
        }

        var rate = Math.Max(0, bytesDone - firstBytes) / seconds;
        var remaining = totalBytes - bytesDone;
        TimeSpan? eta = rate > 0 && remaining >= 0 ? TimeSpan.FromSeconds(remaining / rate) : null;
        return (rate, eta);
    }
}
