using System.Globalization;
using System.Text.RegularExpressions;
using Checkpoints.Conversion;

namespace AdminConsole.Services.Conversions.Kubernetes;

/// <summary>
/// Progress from a converter pod's log: the Downloader writes a line per phase and every few seconds when its
/// output is not a terminal, e.g. <c>converting  [######..] 25% 1.50 GiB of 6.00 GiB, 70/285, 180.0 MB/s, ETA 00:00:25</c>.
/// </summary>
public static partial class ConverterLog
{
    public sealed record Progress(ConversionPhase Phase, long BytesDone, long TotalBytes, int ItemsDone, int ItemCount, double BytesPerSecond, TimeSpan? Eta, string? Item);

    /// <summary>The last progress line's figures, or null when the log has none yet.</summary>
    public static Progress? LastProgress(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        return lines.Reverse().Select(Parse).FirstOrDefault(p => p is not null);
    }

    public static Progress? Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (BarLine().Match(line) is { Success: true } bar && Enum.TryParse<ConversionPhase>(bar.Groups["phase"].Value, ignoreCase: true, out var phase))
        {
            return new Progress(
                phase,
                Bytes(bar.Groups["done"].Value),
                Bytes(bar.Groups["total"].Value),
                int.Parse(bar.Groups["items"].Value, CultureInfo.InvariantCulture),
                int.Parse(bar.Groups["count"].Value, CultureInfo.InvariantCulture),
                double.Parse(bar.Groups["rate"].Value, CultureInfo.InvariantCulture) * 1e6,
                TimeSpan.ParseExact(bar.Groups["eta"].Value, @"hh\:mm\:ss", CultureInfo.InvariantCulture),
                null);
        }

        return PhaseLine().Match(line) is { Success: true } plain && Enum.TryParse<ConversionPhase>(plain.Groups["phase"].Value, ignoreCase: true, out var p)
            ? new Progress(p, 0, 0, 0, 0, 0, null, plain.Groups["item"].Value)
            : null;
    }

    private static long Bytes(string text)
    {
        var parts = text.Split(' ');
        var value = double.Parse(parts[0], CultureInfo.InvariantCulture);
        return (long)(value * (parts[1] == "GiB" ? 1L << 30 : 1L << 20));
    }

    [GeneratedRegex(@"^(?<phase>[a-z]+)\s+\[[#.]+\]\s+\d+% (?<done>[\d.]+ [MG]iB) of (?<total>[\d.]+ [MG]iB), (?<items>\d+)/(?<count>\d+), (?<rate>[\d.]+) MB/s, ETA (?<eta>\d\d:\d\d:\d\d)$")]
    private static partial Regex BarLine();

    [GeneratedRegex(@"^(?<phase>resolving|downloading|converting|publishing|completed): (?<item>.*)$")]
    private static partial Regex PhaseLine();
}
