using System.Diagnostics;
using System.Globalization;

namespace Benchmarks.Support;

/// <summary>Prints benchmark rows: throughput, the ratio to a baseline measured in the same run, and notes.</summary>
internal static class BenchmarkTable
{
    public static void Row(string what, long bytes, double seconds, double baselineRate, string baselineName, string extra = "") =>
        Print(string.Create(CultureInfo.InvariantCulture, $"{what,-64} {bytes / seconds / 1e9,6:0.00} GB/s  {bytes / seconds / baselineRate,5:0.00}× {baselineName}  {extra}"));

    public static void Print(string line) => Console.Out.WriteLine(line);

    /// <summary>"1.23 GiB" or "456.7 MiB", as the Downloader's <c>inspect</c> prints sizes.</summary>
    public static string Bytes(long bytes) => bytes >= 1 << 30
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1 << 30):0.00} GiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1 << 20):0.0} MiB");

    /// <summary>The best (shortest) of <paramref name="repeat"/> timings.</summary>
    public static double Best(int repeat, Func<double> measure) => Enumerable.Range(0, repeat).Select(_ => measure()).Min();

    public static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Runs a shell command to completion and returns its seconds (the command is the baseline: cat, curl).</summary>
    public static double TimeShell(string command, params string[] args)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        start.ArgumentList.Add("sh");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? clock.Elapsed.TotalSeconds : throw new InvalidOperationException($"'{command}' failed: {error}");
    }
}
