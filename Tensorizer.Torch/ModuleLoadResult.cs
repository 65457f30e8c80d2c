namespace Tensorizer.Torch;

/// <summary>
/// What loading into a module did: the module tensors the file lacked, and how each stored tensor arrived —
/// read straight into its parameter, cast chunk by chunk into it while reading, or loaded beside it and copied
/// in afterwards (device casts), with the time that copy took.
/// </summary>
public sealed record ModuleLoadResult(IReadOnlyList<string> Missing, int FilledInPlace, int CastWhileReading, int CopiedAfterwards, TimeSpan CopyTime);
