using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Tensorizer.Format;

namespace Tensorizer.Casting;

/// <summary>
/// Casts between the floating element types checkpoints use (fp64, fp32, fp16, bf16), bit for bit as PyTorch does them:
/// vectorized fp32 ↔ fp16 and fp64 ↔ fp32 (IEEE round to nearest even), bf16 by round to nearest even, and the other
/// pairs through fp32: exact when widening, and fp64 → fp16/bf16 rounded twice, first to fp32, as libtorch does
/// (its Half and BFloat16 are constructed from a float). Any other pair is refused with <see cref="UnsupportedCastException"/>.
/// Shared by the converter (whole tensors) and the loader (one chunk at a time, straight into the destination).
/// </summary>
public static class ElementCasts
{
    /// <summary>Elements per pass of a cast through fp32: small enough to stay in cache, on the stack.</summary>
    private const int Block = 1024;

    /// <summary>Whether <see cref="Cast"/> converts <paramref name="from"/> into <paramref name="to"/>.</summary>
    public static bool Supports(TensorElementType from, TensorElementType to) =>
        from == to || (IsCastable(from) && IsCastable(to));

    /// <summary>
    /// Casts whole elements of <paramref name="source"/> into <paramref name="output"/>, which holds exactly as many
    /// elements of <paramref name="to"/>.
    /// </summary>
    public static void Cast(ReadOnlySpan<byte> source, TensorElementType from, Span<byte> output, TensorElementType to)
    {
        if (!Supports(from, to))
        {
            throw new UnsupportedCastException(from, to);
        }

        var count = source.Length / TensorDtype.SizeOf(from);
        if (source.Length % TensorDtype.SizeOf(from) != 0 || output.Length != count * TensorDtype.SizeOf(to))
        {
            throw new ArgumentException($"{source.Length} bytes of {from} do not cast into {output.Length} bytes of {to}.", nameof(output));
        }

        switch (from, to)
        {
            case var _ when from == to:
                source.CopyTo(output);
                break;
            case (TensorElementType.Float16, TensorElementType.Float32):
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source), MemoryMarshal.Cast<byte, float>(output));
                break;
            case (TensorElementType.Float32, TensorElementType.Float16):
                TensorPrimitives.ConvertToHalf(MemoryMarshal.Cast<byte, float>(source), MemoryMarshal.Cast<byte, Half>(output));
                break;
            case (TensorElementType.BFloat16, TensorElementType.Float32):
                BFloat16.ToSingle(MemoryMarshal.Cast<byte, ushort>(source), MemoryMarshal.Cast<byte, uint>(output));
                break;
            case (TensorElementType.Float32, TensorElementType.BFloat16):
                BFloat16.FromSingle(MemoryMarshal.Cast<byte, uint>(source), MemoryMarshal.Cast<byte, ushort>(output));
                break;
            case (TensorElementType.Float64, TensorElementType.Float32):
                TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<byte, double>(source), MemoryMarshal.Cast<byte, float>(output)); // (float)d for each
                break;
            case (TensorElementType.Float32, TensorElementType.Float64):
                TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<byte, float>(source), MemoryMarshal.Cast<byte, double>(output)); // exact
                break;
            default:
                ThroughSingle(source, from, output, to, count);
                break;
        }
    }

    private static bool IsCastable(TensorElementType type) =>
        type is TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Float32 or TensorElementType.Float64;

    /// <summary>The pairs without a direct cast: each block taken to fp32 (exactly, or for fp64 rounded once), then to the target.</summary>
    private static void ThroughSingle(ReadOnlySpan<byte> source, TensorElementType from, Span<byte> output, TensorElementType to, int count)
    {
        Span<float> block = stackalloc float[Block];
        var (fromSize, toSize) = (TensorDtype.SizeOf(from), TensorDtype.SizeOf(to));
        for (var start = 0; start < count; start += Block)
        {
            var n = Math.Min(Block, count - start);
            var wide = MemoryMarshal.AsBytes(block[..n]);
            Cast(source.Slice(start * fromSize, n * fromSize), from, wide, TensorElementType.Float32);
            Cast(wide, TensorElementType.Float32, output.Slice(start * toSize, n * toSize), to);
        }
    }
}
