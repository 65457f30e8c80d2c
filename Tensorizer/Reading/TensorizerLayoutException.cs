using Tensorizer.Format;

namespace Tensorizer.Reading;

/// <summary>The header and index parse, but do not account for every byte of the file (a wrong count, appended bytes).</summary>
public class TensorizerLayoutException : TensorizerFormatException
{
    public TensorizerLayoutException(IReadOnlyList<UnaccountedBytes> unaccounted)
        : base("The index does not account for the whole file: " + string.Join("; ", unaccounted ?? []))
    {
        Unaccounted = unaccounted ?? [];
    }

    public TensorizerLayoutException(string message) : base(message) => Unaccounted = [];

    public TensorizerLayoutException(string message, Exception inner) : base(message, inner) => Unaccounted = [];

    public TensorizerLayoutException() : this("The index does not account for the whole file.") { }

    public IReadOnlyList<UnaccountedBytes> Unaccounted { get; }
}
