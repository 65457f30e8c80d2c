// ModuleConstruction.WithoutInit switches TorchSharp's process-wide default device to meta while a module is
// constructed; tensors another test created in that window would land on meta. Torch tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
