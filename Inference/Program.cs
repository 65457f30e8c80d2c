using Inference;
using Inference.Benchmarking;

// The hugepage switch must reach libtorch's native getenv before TorchSharp loads it.
Tensorizer.Torch.TorchRuntime.EnableTransparentHugePages();
_ = Tensorizer.Torch.TorchRuntime.Preload(); // libtorch loads while the host starts; the model load waits for it
if (args is ["benchmark", .. var rest])
{
    return await ServingBenchmark.RunAsync(rest);
}

if (args is ["benchmark-load", .. var loadArguments])
{
    return await LoadBenchmark.RunAsync(loadArguments);
}

if (args is ["soak", .. var soakArguments])
{
    return await SoakBenchmark.RunAsync(soakArguments);
}

await Startup.Build(args).RunAsync();
return Environment.ExitCode;
