using System.Diagnostics;
using System.Globalization;
using Checkpoints.Conversion;

namespace Downloader.Commands;

/// <summary>
/// Conversion progress on standard error: a bar redrawn in place on a terminal; in logs (a Kubernetes Job's output
/// is not a terminal) a line at each phase change and every few seconds.
/// </summary>
internal sealed class ConversionProgressLine(Stopwatch clock) : IProgress<ConversionProgress>
{
    private readonly Lock _gate = new();
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private ConversionPhase? _phase;
    private TimeSpan _phaseStart;
    private TimeSpan _last;

    public void Report(ConversionProgress value)
    {
        lock (_gate)
        {
            var now = clock.Elapsed;
            var newPhase = value.Phase != _phase;
            if (newPhase)
            {
                if (_terminal && _phase is not null)
                {
                    Console.Error.WriteLine();
                }

                (_phase, _phaseStart) = (value.Phase, now);
            }
            else if (now - _last < (_terminal ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(5)) && value.BytesDone != value.TotalBytes)
            {
                return;
            }

            _last = now;
            var line = Format(value, (now - _phaseStart).TotalSeconds);
            Console.Error.Write(_terminal ? $"\r{line}\u001b[K" : line + Environment.NewLine);
            if (_terminal && value.Phase == ConversionPhase.Completed)
            {
                Console.Error.WriteLine();
            }
        }
    }

    private static string Format(ConversionProgress p, double seconds)
    {
        var phase = p.Phase.ToString().ToLowerInvariant();
        if (p.TotalBytes <= 0)
        {
            return $"{phase}: {p.Item}";
        }

        var rate = p.BytesDone / Math.Max(seconds, 1e-3);
        var eta = rate > 0 ? TimeSpan.FromSeconds((p.TotalBytes - p.BytesDone) / rate) : TimeSpan.Zero;
        const int width = 24;
        var filled = (int)(p.Fraction * width);
        return string.Create(CultureInfo.InvariantCulture,
            $"{phase,-11} [{new string('#', filled)}{new string('.', width - filled)}] {p.Fraction * 100,3:0}% {InspectCommand.Bytes(p.BytesDone)} of {InspectCommand.Bytes(p.TotalBytes)}, {p.ItemsDone}/{p.ItemCount}, {rate / 1e6:0.0} MB/s, ETA {eta:hh\\:mm\\:ss}");
    }
}
