using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Tensorizer.Format;

namespace Tensorizer.Casting;

/// <summary>
/// Casts between the floating element types checkpoints use (fp32, fp16, bf16), bit for bit as PyTorch does them:
/// vectorized fp32 ↔ fp16, bf16 by round to nearest even, fp16 ↔ bf16 through fp32 (exact, then rounded once).
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
            throw new NotSupportedException($"Casting {from} to {to} is not supported.");
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
            default:
                ThroughSingle(source, from, output, to, count);
                break;
        }
    }

    private static bool IsCastable(TensorElementType type) =>
        type is TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Float32;

    /// <summary>fp16 ↔ bf16: each block widened to fp32 exactly, then narrowed with the target's rounding.</summary>
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
