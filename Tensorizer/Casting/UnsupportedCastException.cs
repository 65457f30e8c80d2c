using Tensorizer.Format;

namespace Tensorizer.Casting;

/// <summary>A cast between two element types that <see cref="ElementCasts"/> does not do; names both.</summary>
public sealed class UnsupportedCastException : NotSupportedException
{
    public UnsupportedCastException()
    {
    }

    public UnsupportedCastException(string message)
        : base(message)
    {
    }

    public UnsupportedCastException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public UnsupportedCastException(TensorElementType from, TensorElementType to)
        : base($"Casting {from} to {to} is not supported; casts go between Float64, Float32, Float16 and BFloat16.")
    {
        (From, To) = (from, to);
    }

    /// <summary>The element type cast from.</summary>
    public TensorElementType? From { get; }

    /// <summary>The element type asked for.</summary>
    public TensorElementType? To { get; }
}
