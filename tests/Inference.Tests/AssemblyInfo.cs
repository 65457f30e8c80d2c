// Each test class runs a real service with a model; they share the machine's two cores, so run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
