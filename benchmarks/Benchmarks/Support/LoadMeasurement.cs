using Tensorizer.Reading;
using Tensorizer.Torch;
using static TorchSharp.torch;

namespace Benchmarks.Support;

/// <summary>Times a full load into CPU tensors and the peak memory it needed beyond the tensors themselves.</summary>
internal static class LoadMeasurement
{
    public static (double Seconds, long PeakExtraBytes) Measure(ITensorCheckpoint file, TorchLoadOptions options, int repeat, CancellationToken ct)
    {
        var bytes = file.Tensors.Sum(t => t.DataLength);
        var peakExtra = 0L;
        var seconds = BenchmarkTable.Best(repeat, () =>
        {
            GC.Collect();
            ProcessMemory.ResetPeak();
            var before = ProcessMemory.ResidentBytes;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var loaded = file.LoadTensorsAsync(options, cancellationToken: ct).GetAwaiter().GetResult();
            var elapsed = clock.Elapsed.TotalSeconds;
            var loadedBytes = loaded.Values.Sum(t => t.NumberOfElements * t.ElementSize); // a cast load's tensors outgrow the stored bytes
            peakExtra = Math.Max(peakExtra, ProcessMemory.PeakResidentBytes - before - Math.Max(bytes, loadedBytes));
            DisposeAll(loaded.Values);
            return elapsed;
        });
        return (seconds, Math.Max(0, peakExtra));
    }

    public static string Describe(long peakExtraBytes, long reference, string referenceName) =>
        $"peak extra RSS {BenchmarkTable.Bytes(peakExtraBytes)} = {(double)peakExtraBytes / reference:0.00}× {referenceName}";

    public static void DisposeAll(IEnumerable<Tensor> tensors)
    {
        foreach (var tensor in tensors)
        {
            tensor.Dispose();
        }
    }
}
