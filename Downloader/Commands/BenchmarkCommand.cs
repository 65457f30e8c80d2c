using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Downloader.Benchmarks;
using Tensorizer.Reading;
using Tensorizer.Torch;
using static TorchSharp.torch;

namespace Downloader.Commands;

/// <summary>
/// <c>benchmark</c>: writes a GPT-J-shaped fp16 file (≥ 1 GiB by default) and, in one run, measures the page-cache
/// limit (<c>cat</c>), raw reads into fresh and touched memory, our load into CPU tensors (readers 1/2/4, hashes
/// off and on) with peak extra memory, and TorchSharp's own save/load of the same tensors.
/// </summary>
internal static class BenchmarkCommand
{
    public static Command Create()
    {
        var file = new Option<FileInfo>("--file") { Description = "Benchmark file (created when missing).", DefaultValueFactory = _ => new FileInfo(Path.Combine(Path.GetTempPath(), "tensorizer-bench", "gptj-like.tensors")) };
        var layers = new Option<int>("--layers") { Description = "GPT-J blocks in the file (2 ≈ 1.6 GB).", DefaultValueFactory = _ => 2 };
        var repeat = new Option<int>("--repeat") { Description = "Runs per measurement; the best is reported.", DefaultValueFactory = _ => 2 };
        var command = new Command("benchmark", "Measure load speed and memory against cat, raw reads and TorchSharp.") { file, layers, repeat };
        command.SetAction(async (parse, ct) =>
        {
            await RunAsync(parse.GetValue(file)!, parse.GetValue(layers), Math.Max(1, parse.GetValue(repeat)), ct);
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task RunAsync(FileInfo file, int layers, int repeat, CancellationToken ct)
    {
        if (!file.Exists)
        {
            Print($"writing {file.FullName} ({layers} GPT-J blocks, fp16) ...");
            var write = Stopwatch.StartNew();
            await WriteGptjLikeAsync(file, layers, ct);
            file.Refresh();
            Print($"  wrote {InspectCommand.Bytes(file.Length)} in {write.Elapsed.TotalSeconds:0.0} s");
        }

        await using var tensors = await TensorFile.OpenAsync(file.FullName, ct);
        var bytes = tensors.Index.DataBytes;
        var largest = tensors.Index.Max(e => e.DataLength);
        Print($"file: {file.FullName}: {tensors.Index.Count} tensors, {InspectCommand.Bytes(bytes)} of data, largest tensor {InspectCommand.Bytes(largest)}");
        Print($"machine: {Environment.ProcessorCount} cores; THP_MEM_ALLOC_ENABLE={Environment.GetEnvironmentVariable("THP_MEM_ALLOC_ENABLE") ?? "(set by the CLI)"}");
        Print("");

        var cat = file.Length / Best(repeat, () => RunCat(file.FullName));
        Row("cat FILE > /dev/null (page-cache limit)", file.Length, file.Length / cat, cat);
        foreach (var memory in Enum.GetValues<RawReadBaseline.Memory>())
        {
            Row($"raw pread, 1 thread, {memory}", file.Length, Best(repeat, () => RawReadBaseline.Measure(file.FullName, memory)), cat);
        }

        foreach (var verify in new[] { false, true })
        {
            foreach (var readers in new[] { 1, 2, 4 })
            {
                var options = new TorchLoadOptions { Load = new LoadOptions { Readers = readers, VerifyHashes = verify } };
                var peakExtra = 0L;
                var seconds = Best(repeat, () =>
                {
                    GC.Collect();
                    ProcessMemory.ResetPeak();
                    var before = ProcessMemory.ResidentBytes;
                    var clock = Stopwatch.StartNew();
                    var loaded = tensors.LoadTensorsAsync(options, cancellationToken: ct).GetAwaiter().GetResult();
                    var elapsed = clock.Elapsed.TotalSeconds;
                    peakExtra = Math.Max(peakExtra, ProcessMemory.PeakResidentBytes - before - bytes);
                    Dispose(loaded.Values);
                    return elapsed;
                });
                Row($"tensorizer load → CPU tensors, readers={readers}, hashes {(verify ? "on " : "off")}", bytes, seconds, cat,
                    $"peak extra RSS {InspectCommand.Bytes(Math.Max(0, peakExtra))} = {(double)Math.Max(0, peakExtra) / largest:0.00}× largest tensor");
            }
        }

        await CompareWithTorchSharpAsync(tensors, bytes, repeat, cat, file.DirectoryName!, ct);
    }

    private static async Task CompareWithTorchSharpAsync(TensorFile tensors, long bytes, int repeat, double catRate, string directory, CancellationToken ct)
    {
        var stateDictPath = Path.Combine(directory, "torchsharp-state-dict.bin");
        var nativeDirectory = Path.Combine(directory, "torch-save");
        var loaded = await tensors.LoadTensorsAsync(cancellationToken: ct);
        if (!File.Exists(stateDictPath))
        {
            TorchSharpBaseline.SaveStateDict(loaded, stateDictPath);
        }

        if (!Directory.Exists(nativeDirectory))
        {
            TorchSharpBaseline.SaveNative(loaded, nativeDirectory);
        }

        Dispose(loaded.Values);
        Row("TorchSharp Module.load format (state-dict stream)", bytes, Best(repeat, () => Time(() => Dispose(TorchSharpBaseline.LoadStateDict(stateDictPath)))), catRate);
        Row("TorchSharp torch.load (libtorch torch::load), per tensor", bytes, Best(repeat, () => Time(() => Dispose(TorchSharpBaseline.LoadNative(nativeDirectory)))), catRate);
    }

    private static async Task WriteGptjLikeAsync(FileInfo file, int layers, CancellationToken ct)
    {
        file.Directory!.Create();
        var state = new Dictionary<string, Tensor>();
        manual_seed(0);
        foreach (var (name, shape) in GptjShapes.Parameters(4096, layers, 50400))
        {
            state[name] = rand(shape, ScalarType.Float16);
        }

        try
        {
            await TorchTensorWriter.WriteStateDictAsync(state, file.FullName, ct);
        }
        finally
        {
            Dispose(state.Values);
        }
    }

    private static double RunCat(string path)
    {
        var clock = Stopwatch.StartNew();
        using var cat = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "cat \"$0\" > /dev/null", path]) { UseShellExecute = false })!;
        cat.WaitForExit();
        return cat.ExitCode == 0 ? clock.Elapsed.TotalSeconds : throw new InvalidOperationException("cat failed");
    }

    private static double Best(int repeat, Func<double> measure) => Enumerable.Range(0, repeat).Select(_ => measure()).Min();

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    private static void Dispose(IEnumerable<Tensor> tensors)
    {
        foreach (var tensor in tensors)
        {
            tensor.Dispose();
        }
    }

    /// <summary>One result: throughput, and its ratio to cat's (bytes per second over cat's bytes per second).</summary>
    private static void Row(string what, long bytes, double seconds, double catRate, string extra = "") =>
        Print(string.Create(CultureInfo.InvariantCulture, $"{what,-62} {bytes / seconds / 1e9,6:0.00} GB/s  {bytes / seconds / catRate,5:0.00}× cat  {extra}"));

    private static void Print(string line) => Console.Out.WriteLine(line);
}
