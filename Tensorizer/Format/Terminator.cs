namespace Tensorizer.Format;

/// <summary>
/// The 8-byte zero "header size" every tensorizer writer (1.1.0 through 2.11) puts after the last tensor. Readers
/// that walk headers instead of the index (1.1.0) stop at it and fail without it; index readers ignore it.
/// </summary>
public static class Terminator
{
    public const int Length = 8;

    /// <summary>Whether <paramref name="bytes"/> is a whole terminator.</summary>
    public static bool IsTerminator(ReadOnlySpan<byte> bytes) => bytes.Length == Length && !bytes.ContainsAnyExcept((byte)0);
}
