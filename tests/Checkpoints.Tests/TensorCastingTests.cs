using System.Runtime.InteropServices;
using Checkpoints.Conversion;
using Checkpoints.Formats;
using Tensorizer.Format;
using Tensorizer.Torch;
using static TorchSharp.torch;

namespace Checkpoints.Tests;

/// <summary>The hand-written casts give PyTorch's bytes exactly (libtorch's own casts are the oracle), rounding ties, NaN, infinities and subnormals included.</summary>
public sealed class TensorCastingTests : IDisposable
{
    private readonly string _file = Path.GetTempFileName();

    public void Dispose() => File.Delete(_file);

    public static TheoryData<TensorElementType, ScalarType> Casts => new()
    {
        { TensorElementType.Float32, ScalarType.Float16 },
        { TensorElementType.Float32, ScalarType.BFloat16 },
        { TensorElementType.Float16, ScalarType.Float32 },
        { TensorElementType.BFloat16, ScalarType.Float32 },
        { TensorElementType.Float16, ScalarType.BFloat16 },
        { TensorElementType.Float64, ScalarType.Float16 },
    };

    [Theory]
    [MemberData(nameof(Casts))]
    public void Casts_match_libtorch_bit_for_bit(TensorElementType from, ScalarType to)
    {
        var random = new Random(11);
        var values = new List<float> { 0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 65504f, 65520f, 1e-8f, -3e-39f, float.Epsilon, 1f + (1f / 2048), 1f + (3f / 2048) };
        values.AddRange(Enumerable.Range(0, 5000).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(2, random.Next(-30, 30)))));
        values.AddRange(Enumerable.Range(0, 2000).Select(_ => BitConverter.Int32BitsToSingle(random.Next())));

        using var scope = NewDisposeScope();
        var source = tensor(values.ToArray()).to_type(TorchDtypes.ToScalarType(from));
        File.WriteAllBytes(_file, source.bytes.ToArray());
        var checkpoint = new CheckpointTensor("t", from, [values.Count], _file, 0, new FileInfo(_file).Length);

        var actual = new TensorCasting([checkpoint], to).ReadAndConvert(checkpoint).ToArray();
        var expected = source.to_type(to).bytes.ToArray();
        Assert.Equal(expected.Length, actual.Length);
        var mismatches = Enumerable.Range(0, values.Count).Where(i => !SameValue(expected, actual, i, TorchDtypes.ToElementType(to))).ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} values differ, first at {mismatches.FirstOrDefault()} ({values[mismatches.FirstOrDefault()]})");
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
