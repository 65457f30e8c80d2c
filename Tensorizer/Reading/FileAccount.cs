using System.Globalization;

namespace Tensorizer.Reading;

/// <summary>A byte range of a file that the header and index do not explain, and why.</summary>
public sealed record UnaccountedBytes(long Offset, long Length, string Reason)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"bytes {Offset}..{Offset + Length} ({Length} bytes): {Reason}");
}

/// <summary>
/// Where every byte of a file belongs: prologue, index, zero padding, tensor headers and data, the terminator.
/// Anything else is listed in <see cref="Unaccounted"/>; a file is whole when that list is empty.
/// </summary>
public sealed record FileAccount(long FileLength, bool HasTerminator, IReadOnlyList<UnaccountedBytes> Unaccounted)
{
    public bool IsWhole => Unaccounted.Count == 0;

    /// <summary>Raises <see cref="TensorizerLayoutException"/> naming every unaccounted range, if any.</summary>
    public void ThrowIfNotWhole()
    {
        if (!IsWhole)
        {
            throw new TensorizerLayoutException(Unaccounted);
        }
    }
}
