namespace Checkpoints.Conversion;

/// <summary>The stages of a conversion, in order.</summary>
public enum ConversionPhase
{
    /// <summary>Listing the source's files and revision.</summary>
    Resolving,

    /// <summary>Fetching checkpoint files (items are files).</summary>
    Downloading,

    /// <summary>Reading, casting and writing tensors (items are tensors).</summary>
    Converting,

    /// <summary>Moving config and tokenizer files into place and writing the completion marker (items are files).</summary>
    Publishing,

    /// <summary>Done: the output is complete.</summary>
    Completed,
}

/// <summary>
/// A progress event: the phase, bytes and items done within it, and the item at hand. Rates and ETAs are the
/// observer's to compute (it owns the clock).
/// </summary>
public readonly record struct ConversionProgress(
    ConversionPhase Phase, long BytesDone, long TotalBytes, int ItemsDone, int ItemCount, string? Item = null)
{
    public double Fraction => TotalBytes > 0 ? Math.Clamp((double)BytesDone / TotalBytes, 0, 1) : Phase == ConversionPhase.Completed ? 1 : 0;
}
