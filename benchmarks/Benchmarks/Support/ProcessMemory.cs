using System.Globalization;

namespace Benchmarks.Support;

/// <summary>Resident and peak resident memory from /proc (Linux), with the peak resettable per measurement.</summary>
internal static class ProcessMemory
{
    public static long ResidentBytes => ReadStatus("VmRSS:");

    public static long PeakResidentBytes => ReadStatus("VmHWM:");

    /// <summary>Resets the peak to the current resident size (writing 5 to clear_refs, Linux 4.0+).</summary>
    public static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");

    private static long ReadStatus(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                var kib = line[key.Length..].Trim().Split(' ')[0];
                return long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"{key} not in /proc/self/status.");
    }
}
