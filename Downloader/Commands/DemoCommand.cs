using System.CommandLine;
using System.Diagnostics;
using Downloader.Benchmarks;
using Tensorizer.Reading;
using Tensorizer.Torch;
using static TorchSharp.torch;

namespace Downloader.Commands;

/// <summary>
/// <c>demo</c>: the end-to-end path on an embedded default. Builds a tiny GPT-J-shaped state dict
/// deterministically, writes it as <c>.tensors</c>, reads it back into TorchSharp tensors with hashes verified
/// and checks every tensor is identical.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--output", "-o")
        {
            Description = "Folder for model.tensors.",
            DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(Path.GetTempPath(), "tensorizer-demo")),
        };
        var command = new Command("demo", "Write a tiny GPT-J-shaped model as .tensors and load it back, verified.") { output };
        command.SetAction(async (parse, ct) => await RunAsync(parse.GetValue(output)!, ct));
        return command;
    }

    private static async Task<int> RunAsync(DirectoryInfo output, CancellationToken ct)
    {
        output.Create();
        var path = Path.Combine(output.FullName, "model.tensors");
        manual_seed(42);
        var original = GptjShapes.Parameters(embedding: 64, layers: 2, vocabulary: 50400)
            .ToDictionary(p => p.Name, p => randn(p.Shape, ScalarType.Float16));
        try
        {
            var clock = Stopwatch.StartNew();
            await TorchTensorWriter.WriteStateDictAsync(original, path, ct);
            Console.Out.WriteLine($"wrote {path}: {original.Count} tensors, {InspectCommand.Bytes(new FileInfo(path).Length)} in {clock.Elapsed.TotalMilliseconds:0} ms");

            await using var file = await TensorFile.OpenAsync(path, ct);
            clock.Restart();
            var loaded = await file.LoadTensorsAsync(new TorchLoadOptions { Load = new LoadOptions { VerifyHashes = true } }, cancellationToken: ct);
            try
            {
                var mismatched = original.Where(p => !Identical(p.Value, loaded[p.Key])).Select(p => p.Key).ToList();
                Console.Out.WriteLine($"loaded {loaded.Count} tensors into TorchSharp (CPU, hashes verified) in {clock.Elapsed.TotalMilliseconds:0} ms, format version {file.Header.Version}");
                Console.Out.WriteLine(mismatched.Count == 0 ? "OK: every tensor is identical to what was written" : $"FAILED: {string.Join(", ", mismatched)} differ");
                return mismatched.Count == 0 ? ExitCodes.Success : ExitCodes.VerificationFailed;
            }
            finally
            {
                foreach (var tensor in loaded.Values)
                {
                    tensor.Dispose();
                }
            }
        }
        finally
        {
            foreach (var tensor in original.Values)
            {
                tensor.Dispose();
            }
        }
    }

    private static bool Identical(Tensor a, Tensor b) => a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.bytes.SequenceEqual(b.bytes);
}
