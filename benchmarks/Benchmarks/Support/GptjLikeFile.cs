using System.CommandLine;
using Tensorizer.Torch;
using static TorchSharp.torch;

namespace Benchmarks.Support;

/// <summary>The benchmark's input: GPT-J-6B's embedding, <c>layers</c> blocks and LM head, fp16, random values.</summary>
internal static class GptjLikeFile
{
    public static async Task EnsureAsync(FileInfo file, int layers, CancellationToken ct)
    {
        if (file.Exists)
        {
            return;
        }

        BenchmarkTable.Print($"writing {file.FullName} ({layers} GPT-J blocks, fp16) ...");
        var clock = System.Diagnostics.Stopwatch.StartNew();
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
            LoadMeasurement.DisposeAll(state.Values);
        }

        file.Refresh();
        BenchmarkTable.Print($"  wrote {BenchmarkTable.Bytes(file.Length)} in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    public static Option<FileInfo> FileOption() => new("--file")
    {
        Description = "Benchmark file (created when missing).",
        DefaultValueFactory = _ => new FileInfo(Path.Combine(Path.GetTempPath(), "tensorizer-bench", "gptj-like.tensors")),
    };
}
