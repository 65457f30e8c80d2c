using Checkpoints.Formats;
using Tensorizer.Casting;
using Tensorizer.Format;

namespace Checkpoints.Conversion;

/// <summary>
/// Reads checkpoint tensors and casts floating ones to the target dtype into buffers allocated once for the largest
/// tensor: fresh memory costs a page fault per 4 KiB here, so reusing touched buffers is what keeps conversion near
/// copy speed and its memory at a few tensors. Two sets alternate, because the writer hashes and writes one tensor
/// while the next is being read (see <see cref="Tensorizer.Writing.TensorToWrite.Deferred"/>). Every cast the converter
/// offers (fp64, fp32, fp16, bf16 to fp32, fp16 or bf16) is <see cref="ElementCasts"/>: vectorized or bit-exact with
/// PyTorch's rounding, with no tensor library.
/// </summary>
internal sealed class TensorCasting(IReadOnlyList<CheckpointTensor> tensors, TensorElementType? dtype)
{
    private readonly long _sourceLength = tensors.Select(t => t.Length).DefaultIfEmpty().Max();
    private readonly long _targetLength = tensors.Where(t => TargetType(t, dtype) != t.Type).Select(t => TargetLength(t, dtype)).DefaultIfEmpty().Max();
    private readonly (byte[]? Source, byte[]? Target)[] _sets = new (byte[]?, byte[]?)[2];
    private int _calls;

    /// <summary>The conversion's target (<see cref="DtypeNames"/>, shared with the service and the console); null keeps the checkpoint's.</summary>
    public static TensorElementType? ParseDtype(string dtype) => DtypeNames.ParseConversion(dtype, "dtype");

    public static TensorElementType TargetType(CheckpointTensor tensor, TensorElementType? dtype) =>
        dtype is { } target && IsFloating(tensor.Type) ? target : tensor.Type;

    public static long TargetLength(CheckpointTensor tensor, TensorElementType? dtype) =>
        tensor.Shape.Aggregate(1L, (a, b) => a * b) * TensorDtype.SizeOf(TargetType(tensor, dtype));

    /// <summary>The tensor's bytes in the target dtype; valid until the call after the next one (the buffers are reused).</summary>
    public ReadOnlyMemory<byte> ReadAndConvert(CheckpointTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ref var set = ref _sets[_calls++ % 2];
        set.Source ??= Allocate(_sourceLength);
        var source = set.Source.AsSpan(0, checked((int)tensor.Length));
        using (var handle = File.OpenHandle(tensor.File))
        {
            for (var read = 0; read < source.Length;)
            {
                var n = RandomAccess.Read(handle, source[read..], tensor.Offset + read);
                read += n > 0 ? n : throw new EndOfStreamException($"{tensor.File} ended inside tensor '{tensor.Name}'.");
            }
        }

        var target = TargetType(tensor, dtype);
        if (target == tensor.Type)
        {
            return set.Source.AsMemory(0, source.Length);
        }

        set.Target ??= Allocate(_targetLength);
        var output = set.Target.AsSpan(0, checked((int)TargetLength(tensor, dtype)));
        ElementCasts.Cast(source, tensor.Type, output, target);
        return set.Target.AsMemory(0, output.Length);
    }

    private static byte[] Allocate(long length) => length <= Array.MaxLength
        ? GC.AllocateUninitializedArray<byte>((int)length)
        : throw new NotSupportedException($"A tensor of {length} bytes is larger than one .NET array ({Array.MaxLength} bytes).");

    private static bool IsFloating(TensorElementType type) =>
        type is TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Float32 or TensorElementType.Float64;
}
