using System.Collections.Concurrent;

namespace AdminConsole.Services.Conversions;

/// <summary>
/// The runners' shared bookkeeping: snapshots by id, newest first, and a change signal. Progress can arrive per
/// tensor, thousands a second; the signal is raised at most every <see cref="Throttle"/> unless the state changed.
/// </summary>
public sealed class ConversionBoard(TimeProvider time)
{
    public static readonly TimeSpan Throttle = TimeSpan.FromMilliseconds(200);

    private readonly ConcurrentDictionary<string, ConversionSnapshot> _snapshots = new();
    private long _lastSignal;

    public event Action? Changed;

    public IReadOnlyList<ConversionSnapshot> All => [.. _snapshots.Values.OrderByDescending(s => s.StartedAt).ThenByDescending(s => s.Id, StringComparer.Ordinal)];

    public ConversionSnapshot? Get(string id) => _snapshots.GetValueOrDefault(id);

    /// <summary>Replaces a snapshot by applying <paramref name="change"/> to the current one (atomically per id).</summary>
    public ConversionSnapshot Update(string id, Func<ConversionSnapshot, ConversionSnapshot> change)
    {
        ConversionSnapshot before, after;
        do
        {
            before = _snapshots[id];
            after = change(before);
        }
        while (!_snapshots.TryUpdate(id, after, before));

        Signal(force: before.State != after.State || before.Phase != after.Phase);
        return after;
    }

    public void Add(ConversionSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _snapshots[snapshot.Id] = snapshot;
        Signal(force: true);
    }

    private void Signal(bool force)
    {
        var now = time.GetTimestamp();
        var last = Interlocked.Read(ref _lastSignal);
        if (force || time.GetElapsedTime(last, now) >= Throttle)
        {
            Interlocked.Exchange(ref _lastSignal, now);
            Changed?.Invoke();
        }
    }
}
