using AdminConsole.Services.Inference;

namespace AdminConsole.Services.Loads;

/// <summary>
/// Folds a service's successive status polls into a <see cref="ServiceLoad"/>: a new <c>StartedAt</c> is a new load
/// (its chart starts over); a load that reaches ready or failed joins the history once. Pure: the poller owns the clock.
/// </summary>
public static class LoadTracker
{
    public const int MaxPoints = 1200;
    public const int MaxHistory = 50;

    public static ServiceLoad Observe(ServiceLoad current, ServiceStatus status, DateTimeOffset now, TimeSpan latency)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(status);
        var sameLoad = current.Status?.StartedAt == status.StartedAt;
        var points = sameLoad ? current.Points : [];
        var point = new LoadPoint(status.Elapsed.TotalSeconds, status.BytesRead, status.BytesPerSecond);

        // While loading every poll is a point; a finished load gets one final point (its end), not one per poll.
        if (status.IsLoading || points.Count == 0 || points[^1].Seconds < point.Seconds)
        {
            points = points.Count >= MaxPoints ? [.. points.Skip(1), point] : [.. points, point];
        }

        var history = current.History;
        if (!status.IsLoading && !history.Any(r => r.StartedAt == status.StartedAt))
        {
            var record = new LoadRecord(status.StartedAt, status.Phase, status.Elapsed, status.TotalBytes, status.ReadRate, status.Location, status.Error);
            history = [record, .. history.Take(MaxHistory - 1)];
        }

        return current with
        {
            Status = status,
            Reachable = true,
            Error = null,
            LastSeen = now,
            Latency = latency,
            Points = points,
            History = history,
        };
    }

    public static ServiceLoad Unreachable(ServiceLoad current, string error)
    {
        ArgumentNullException.ThrowIfNull(current);
        return current with { Reachable = false, Error = error, Latency = null };
    }
}
