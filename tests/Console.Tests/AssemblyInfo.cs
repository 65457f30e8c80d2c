// The end-to-end and server tests start Kestrel, a model and a browser; on two cores they run one class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
