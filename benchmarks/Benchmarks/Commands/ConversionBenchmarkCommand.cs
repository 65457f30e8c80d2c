using System.CommandLine;
using System.Diagnostics;
using Benchmarks.Support;
using Checkpoints.Conversion;
using static Benchmarks.Support.BenchmarkTable;

namespace Benchmarks.Commands;

/// <summary>
/// <c>benchmark-conversion</c>: converts a GPT-J-shaped fp32 sharded safetensors checkpoint (≥ 1 GiB) to
/// <c>.tensors</c> and measures, in one run, read and write rates against <c>cp</c> of the same shards, and the
/// converter's peak resident memory against the largest tensor and the largest shard.
/// </summary>
internal static class ConversionBenchmarkCommand
{
    public static Command Create()
    {
        var folder = new Option<DirectoryInfo>("--folder")
        {
            Description = "Working folder (the checkpoint is made once and reused).",
            DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(Path.GetTempPath(), "tensorizer-conversion-benchmark")),
        };
        var layers = new Option<int>("--layers") { Description = "GPT-J blocks (4096 wide; 1 ≈ 1.3 GB fp32 with a 16k vocabulary).", DefaultValueFactory = _ => 1 };
        var vocabulary = new Option<int>("--vocabulary") { Description = "Vocabulary rows of wte and lm_head.", DefaultValueFactory = _ => 16384 };
        var command = new Command("benchmark-conversion", "Measure checkpoint conversion against cp, with peak memory.") { folder, layers, vocabulary };
        command.SetAction(async (parse, ct) =>
        {
            await RunAsync(parse.GetValue(folder)!.FullName, parse.GetValue(layers), parse.GetValue(vocabulary), ct);
            return 0;
        });
        return command;
    }

    private static async Task RunAsync(string folder, int layers, int vocabulary, CancellationToken ct)
    {
        const long shardBytes = 512L << 20;
        var checkpoint = Path.Combine(folder, "checkpoint");
        await ShardedCheckpoint.EnsureAsync(checkpoint, 4096, layers, vocabulary, shardBytes, ct);
        var shards = Directory.GetFiles(checkpoint, "*.safetensors");
        var bytes = shards.Sum(f => new FileInfo(f).Length);
        var largestTensor = GptjShapes.Parameters(4096, layers, vocabulary).Max(p => p.Shape.Aggregate(4L, (a, b) => a * b));
        var largestShard = shards.Max(f => new FileInfo(f).Length);
        Print($"checkpoint: {checkpoint}: {shards.Length} fp32 shards, {BenchmarkTable.Bytes(bytes)}; largest shard {BenchmarkTable.Bytes(largestShard)}, largest tensor {BenchmarkTable.Bytes(largestTensor)}");
        Print($"machine: {Environment.ProcessorCount} cores; files in the page cache (warmed by a first read), so rates are CPU and memory bound");
        Print("");

        var copy = Path.Combine(folder, "copy");
        TimeShell("cat \"$1\"/*.safetensors > /dev/null", checkpoint); // warm the page cache for every row alike
        var cp = TimeShell("rm -rf \"$2\" && mkdir -p \"$2\" && cp \"$1\"/*.safetensors \"$2\"/ && sync \"$2\"", checkpoint, copy);
        var cpRate = bytes / cp;
        Row("cp shards (read + write the same bytes)", bytes, cp, cpRate, "cp");
        Directory.Delete(copy, recursive: true);

        // The format stores a SHA-256 of every tensor, so one core's SHA-256 rate bounds any writer of it.
        var sha = TimeShell("cat \"$1\"/*.safetensors | sha256sum > /dev/null", checkpoint);
        Row("cat shards | sha256sum (the hash the format requires)", bytes, sha, cpRate, "cp");

        foreach (var dtype in new[] { "keep", "float16" })
        {
            var output = Path.Combine(folder, $"out-{dtype}");
            var baseline = ProcessMemory.ResidentBytes;
            ProcessMemory.ResetPeak();
            var clock = Stopwatch.StartNew();
            var result = await ModelConverter.ConvertAsync(new ConversionRequest { Source = checkpoint, Output = output, Dtype = dtype, Force = true }, cancellationToken: ct);
            var seconds = clock.Elapsed.TotalSeconds;
            var peak = ProcessMemory.PeakResidentBytes - baseline;
            Row($"convert → .tensors, dtype {dtype}: read", bytes, seconds, cpRate, "cp",
                $"wrote {BenchmarkTable.Bytes(result.Bytes)} at {result.Bytes / seconds / 1e9:0.00} GB/s; peak RSS +{BenchmarkTable.Bytes(peak)} = {(double)peak / largestTensor:0.00}× largest tensor, {(double)peak / largestShard:0.00}× largest shard");
            Directory.Delete(output, recursive: true);
        }
    }
}
