using System.Diagnostics;
using System.Globalization;
using Tensorizer.Reading;

namespace Downloader.Commands;

/// <summary>
/// Progress on standard error: one line redrawn in place on a terminal, a line every few seconds in logs
/// (a Kubernetes Job's output is not a terminal).
/// </summary>
internal sealed class ProgressLine(string verb, Stopwatch clock) : IProgress<LoadProgress>
{
    private readonly Lock _gate = new();
    private readonly TimeSpan _interval = Console.IsErrorRedirected ? TimeSpan.FromSeconds(5) : TimeSpan.FromMilliseconds(200);
    private TimeSpan? _last;

    public void Report(LoadProgress value)
    {
        lock (_gate)
        {
            var now = clock.Elapsed;
            var finished = value.BytesRead == value.TotalBytes;
            if (now - _last < _interval && !finished)
            {
                return;
            }

            _last = now;
            var rate = value.BytesRead / Math.Max(now.TotalSeconds, 1e-9) / 1e9;
            var line = string.Create(
                CultureInfo.InvariantCulture,
                $"{verb}: {value.TensorsDone}/{value.TensorCount} tensors, {InspectCommand.Bytes(value.BytesRead)} of {InspectCommand.Bytes(value.TotalBytes)} ({100.0 * value.BytesRead / Math.Max(1, value.TotalBytes):0}%), {rate:0.00} GB/s");
            Console.Error.Write(Console.IsErrorRedirected ? line + Environment.NewLine : "\r" + line);
        }
    }
}
