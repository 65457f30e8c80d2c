using Inference;
using Inference.Hosting;
using Microsoft.Extensions.Options;

// The hugepage switch must reach libtorch's native getenv before TorchSharp loads it.
Tensorizer.Torch.TorchRuntime.EnableTransparentHugePages();
_ = Tensorizer.Torch.TorchRuntime.Preload(); // libtorch loads while the host starts; the model load waits for it
await using var app = Startup.Build(args);
try
{
    _ = app.Services.GetRequiredService<IOptions<InferenceOptions>>().Value; // the settings first, so a wrong one is all that is said
    await app.StartAsync();
}
catch (OptionsValidationException e)
{
    // A setting is missing or wrong (InferenceOptions): say which, and stop before anything loads.
    await Console.Error.WriteLineAsync($"The inference service cannot start: {e.Message}");
    return 2;
}

await app.WaitForShutdownAsync();
return Environment.ExitCode;
