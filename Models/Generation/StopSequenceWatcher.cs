namespace Models.Generation;

/// <summary>
/// Streams text while watching for stop sequences: text that could be the start of one is held back until it is
/// either completed (then everything from it on is dropped) or ruled out.
/// </summary>
internal sealed class StopSequenceWatcher(IReadOnlyList<string> stopSequences)
{
    private readonly System.Text.StringBuilder _pending = new();

    public bool Stopped { get; private set; }

    /// <summary>Adds decoded text; returns what can safely be emitted now.</summary>
    public string Push(string text)
    {
        if (Stopped)
        {
            return "";
        }

        _pending.Append(text);
        var pending = _pending.ToString();
        var stopAt = stopSequences.Where(s => s.Length > 0).Select(s => pending.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
        if (stopAt >= 0)
        {
            Stopped = true;
            _pending.Clear();
            return pending[..stopAt];
        }

        var hold = HeldBackLength(pending);
        _pending.Clear().Append(pending[^hold..]);
        return pending[..^hold];
    }

    /// <summary>The end: whatever was held back is text after all.</summary>
    public string Flush()
    {
        var rest = Stopped ? "" : _pending.ToString();
        _pending.Clear();
        return rest;
    }

    /// <summary>The longest suffix of <paramref name="text"/> that begins some stop sequence.</summary>
    private int HeldBackLength(string text)
    {
        var hold = 0;
        foreach (var stop in stopSequences)
        {
            for (var length = Math.Min(stop.Length - 1, text.Length); length > hold; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    hold = length;
                    break;
                }
            }
        }

        return hold;
    }
}
