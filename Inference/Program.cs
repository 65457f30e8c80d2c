using Inference;

// The hugepage switch must reach libtorch's native getenv before TorchSharp loads it.
Tensorizer.Torch.TorchRuntime.EnableTransparentHugePages();
_ = Tensorizer.Torch.TorchRuntime.Preload(); // libtorch loads while the host starts; the model load waits for it
await Startup.Build(args).RunAsync();
return Environment.ExitCode;
