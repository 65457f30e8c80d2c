// Model construction switches TorchSharp's process-wide default device to meta for a moment (ModuleConstruction);
// tests that create tensors meanwhile would see it. Model tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
