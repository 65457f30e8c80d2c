namespace Tensorizer.Casting;

/// <summary>bfloat16 is the top half of a float32: PyTorch's casts, bit for bit (round to nearest even; NaN stays a quiet NaN).</summary>
internal static class BFloat16
{
    public static void FromSingle(ReadOnlySpan<uint> source, Span<ushort> output)
    {
        for (var i = 0; i < source.Length; i++)
        {
            var bits = source[i];
            output[i] = (bits & 0x7FFF_FFFF) > 0x7F80_0000
                ? (ushort)0x7FC0
                : (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
        }
    }

    public static void ToSingle(ReadOnlySpan<ushort> source, Span<uint> output)
    {
        for (var i = 0; i < source.Length; i++)
        {
            output[i] = (uint)source[i] << 16;
        }
    }
}
