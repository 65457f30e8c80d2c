using System.CommandLine;
using Benchmarks.Commands;
using Benchmarks.Serving;

// The hugepage switch must reach libtorch's native getenv before TorchSharp loads it.
Tensorizer.Torch.TorchRuntime.EnableTransparentHugePages();

var root = new RootCommand("Benchmarks of the loader, the converter, generation and the inference service, each against a baseline measured in the same run.")
{
    BenchmarkCommand.Create(),
    RemoteBenchmarkCommand.Create(),
    SafetensorsBenchmarkCommand.Create(),
    GenerationBenchmarkCommand.Create(),
    TokenizerBenchmarkCommand.Create(),
    ConversionBenchmarkCommand.Create(),
    ServingBenchmark.Create(),
    LoadBenchmark.Create(),
    SoakBenchmark.Create(),
};

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"error: {error.Message}");
    }

    return 2;
}

return await parsed.InvokeAsync();
