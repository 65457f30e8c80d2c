namespace Checkpoints.Conversion;

/// <summary>What a conversion produced, or that an identical one was already there (<see cref="Skipped"/>).</summary>
public sealed record ConversionResult(string Output, string Revision, int Tensors, long Bytes, bool Skipped);
