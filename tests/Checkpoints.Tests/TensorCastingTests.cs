using System.Runtime.InteropServices;
using Checkpoints.Conversion;
using Checkpoints.Formats;
using Tensorizer.Casting;
using Tensorizer.Format;
using Tensorizer.Torch;
using static TorchSharp.torch;

namespace Checkpoints.Tests;

/// <summary>
/// The hand-written casts give PyTorch's bytes exactly (libtorch's own casts are the oracle, which is why this test
/// project references TorchSharp and the converter does not), rounding ties, NaN, infinities and subnormals included.
/// </summary>
public sealed class TensorCastingTests : IDisposable
{
    private readonly string _file = Path.GetTempFileName();

    public void Dispose() => File.Delete(_file);

    /// <summary>Every cast the converter offers: each floating source type to float16, bfloat16 and float32.</summary>
    public static TheoryData<TensorElementType, ScalarType> Casts => new()
    {
        { TensorElementType.Float32, ScalarType.Float16 },
        { TensorElementType.Float32, ScalarType.BFloat16 },
        { TensorElementType.Float16, ScalarType.Float32 },
        { TensorElementType.BFloat16, ScalarType.Float32 },
        { TensorElementType.Float16, ScalarType.BFloat16 },
        { TensorElementType.BFloat16, ScalarType.Float16 },
        { TensorElementType.Float64, ScalarType.Float16 },
        { TensorElementType.Float64, ScalarType.BFloat16 },
        { TensorElementType.Float64, ScalarType.Float32 },
    };

    [Theory]
    [MemberData(nameof(Casts))]
    public void Casts_match_libtorch_bit_for_bit(TensorElementType from, ScalarType to)
    {
        var random = new Random(11);
        var values = new List<double> { 0, -0.0, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 65504, 65520, 1e-8, -3e-39, float.Epsilon, 1 + (1.0 / 2048), 1 + (3.0 / 2048), 1e300, -1e-300, double.Epsilon };
        values.AddRange(Enumerable.Range(0, 5000).Select(_ => (random.NextDouble() - 0.5) * Math.Pow(2, random.Next(-30, 30))));
        values.AddRange(Enumerable.Range(0, 2000).Select(_ => (double)BitConverter.Int32BitsToSingle(random.Next())));
        values.AddRange(Enumerable.Range(0, 2000).Select(_ => BitConverter.Int64BitsToDouble(random.NextInt64())));

        // Halfway cases that only a double holds: 1 + 2⁻¹¹ ± 2⁻⁴⁰ rounds one way to float16 directly and the other
        // through float32; libtorch goes through float32.
        values.AddRange([1 + (1.0 / 2048) + Math.Pow(2, -40), 1 + (1.0 / 2048) - Math.Pow(2, -40), 1 + (1.0 / 256) + Math.Pow(2, -40)]);

        using var scope = NewDisposeScope();
        var source = tensor(values.ToArray()).to_type(TorchDtypes.ToScalarType(from));
        File.WriteAllBytes(_file, source.bytes.ToArray());
        var checkpoint = new CheckpointTensor("t", from, [values.Count], _file, 0, new FileInfo(_file).Length);

        var actual = new TensorCasting([checkpoint], TorchDtypes.ToElementType(to)).ReadAndConvert(checkpoint).ToArray();
        var expected = source.to_type(to).bytes.ToArray();
        Assert.Equal(expected.Length, actual.Length);
        var mismatches = Enumerable.Range(0, values.Count).Where(i => !SameValue(expected, actual, i, TorchDtypes.ToElementType(to))).ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} values differ, first at {mismatches.FirstOrDefault()} ({values[mismatches.FirstOrDefault()]})");
    }

    [Fact]
    public void A_cast_the_converter_does_not_do_is_refused_with_both_types_named()
    {
        var error = Assert.Throws<UnsupportedCastException>(() => ElementCasts.Cast(new byte[4], TensorElementType.Int32, new byte[2], TensorElementType.Float16));
        Assert.Equal((TensorElementType.Int32, TensorElementType.Float16), (error.From, error.To));
        Assert.Contains("Int32", error.Message, StringComparison.Ordinal);
        Assert.Contains("Float16", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Equal bits, or both NaN (payloads may differ and mean the same).</summary>
    private static bool SameValue(byte[] expected, byte[] actual, int index, TensorElementType type)
    {
        var size = TensorDtype.SizeOf(type);
        var e = expected.AsSpan(index * size, size);
        var a = actual.AsSpan(index * size, size);
        return e.SequenceEqual(a) || (IsNaN(e, type) && IsNaN(a, type));
    }

    private static bool IsNaN(ReadOnlySpan<byte> bytes, TensorElementType type) => type switch
    {
        TensorElementType.Float32 => float.IsNaN(MemoryMarshal.Read<float>(bytes)),
        TensorElementType.Float16 => Half.IsNaN(MemoryMarshal.Read<Half>(bytes)),
        TensorElementType.BFloat16 => float.IsNaN(BitConverter.Int32BitsToSingle(MemoryMarshal.Read<ushort>(bytes) << 16)),
        _ => false,
    };
}
