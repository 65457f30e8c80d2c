using System.Collections.Concurrent;
using TorchSharp;

namespace Models.Torch;

/// <summary>
/// Scalar operands that live as long as the process. TorchSharp hands a <see cref="Scalar"/>'s native handle to
/// libtorch without keeping the managed object alive through the call, and a Scalar frees its native value in its
/// finalizer: a temporary one (an implicit <c>x * 0.5</c>, or the alpha TorchSharp makes for <c>a + b</c>) can be
/// finalized by a garbage collection on another thread while libtorch still reads it. That was the service's crash
/// under ordinary traffic ("Unknown scalar type", "Expected false to be true" from <c>toFloat</c>, SIGSEGV). The
/// model code takes every scalar from here; <c>BannedSymbols.txt</c> makes the compiler refuse the others.
/// </summary>
internal static class Scalars
{
    private static readonly ConcurrentDictionary<double, Scalar> Reals = new();
    private static readonly ConcurrentDictionary<long, Scalar> Integers = new();

    /// <summary>The alpha of an addition (<c>a + 1 × b</c>).</summary>
    public static Scalar One { get; } = Of(1L);

    /// <summary>A double scalar; the model code uses a handful of distinct constants, so the cache stays small.</summary>
    public static Scalar Of(double value) => Reals.GetOrAdd(value, static v => v.ToScalar());

    /// <summary>An integer scalar (integer exponents keep libtorch's exact integer-power paths).</summary>
    public static Scalar Of(long value) => Integers.GetOrAdd(value, static v => v.ToScalar());
}
