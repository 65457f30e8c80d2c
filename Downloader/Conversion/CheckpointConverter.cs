using System.Text.Json;
using Downloader.Checkpoints;
using Tensorizer.Format;
using Tensorizer.Torch;
using Tensorizer.Writing;
using static TorchSharp.torch;

namespace Downloader.Conversion;

/// <summary>What a conversion produced, or that an identical one was already there.</summary>
internal sealed record ConversionResult(string Output, int Tensors, long Bytes, bool Skipped);

/// <summary>Conversion progress: tensors and bytes written so far.</summary>
internal readonly record struct ConversionProgress(int TensorsDone, int TensorCount, long BytesDone, long TotalBytes);

/// <summary>
/// Converts a local checkpoint folder (safetensors, single or sharded) into the seed's PVC layout: <c>model.tensors</c>
/// plus config, tokenizer and generation files. Tensor by tensor (memory bounded by the largest tensor), floating
/// tensors cast to the requested dtype; everything is written under a temporary folder, moved into place, and a
/// completion marker is written last, so an interrupted run never looks complete.
/// </summary>
internal static class CheckpointConverter
{
    public const string CompletionMarker = ".tensorizer-complete.json";

    public static async Task<ConversionResult> ConvertAsync(
        string source, string output, ScalarType? dtype, bool force, IProgress<ConversionProgress>? progress, CancellationToken cancellationToken)
    {
        source = Path.GetFullPath(source);
        output = Path.GetFullPath(output);
        var marker = Path.Combine(output, CompletionMarker);
        var fingerprint = new Fingerprint(source, dtype?.ToString() ?? "keep", SourceStamp(source));
        if (!force && File.Exists(marker) && JsonSerializer.Deserialize<Fingerprint>(await File.ReadAllTextAsync(marker, cancellationToken)) == fingerprint)
        {
            return new ConversionResult(output, 0, 0, Skipped: true);
        }

        var tensors = CheckpointFolder.ReadTensors(source);
        Directory.CreateDirectory(output);
        File.Delete(marker); // from here on, the output is incomplete until the marker returns
        var partial = Directory.CreateDirectory(Path.Combine(output, $".partial-{Guid.NewGuid():N}")).FullName;
        try
        {
            var total = tensors.Sum(t => TargetLength(t, dtype));
            long done = 0;
            var written = 0;
            var toWrite = tensors.Select(t => TensorToWrite.Deferred(t.Name, TargetType(t, dtype), t.Shape, () =>
            {
                cancellationToken.ThrowIfCancellationRequested();
                var bytes = ReadAndConvert(t, dtype);
                progress?.Report(new ConversionProgress(++written, tensors.Count, done += bytes.Length, total));
                return [bytes];
            })).ToList();
            await TensorWriter.WriteFileAsync(Path.Combine(partial, "model.tensors"), toWrite, cancellationToken);
            foreach (var name in CheckpointFolder.SideFiles.Where(name => File.Exists(Path.Combine(source, name))))
            {
                File.Copy(Path.Combine(source, name), Path.Combine(partial, name));
            }

            foreach (var file in Directory.GetFiles(partial))
            {
                File.Move(file, Path.Combine(output, Path.GetFileName(file)), overwrite: true);
            }

            var markerTemp = marker + ".tmp";
            await File.WriteAllTextAsync(markerTemp, JsonSerializer.Serialize(fingerprint), cancellationToken);
            File.Move(markerTemp, marker, overwrite: true);
            return new ConversionResult(output, tensors.Count, total, Skipped: false);
        }
        finally
        {
            Directory.Delete(partial, recursive: true);
        }
    }

    /// <summary>Size and time of every source file: a changed checkpoint is converted again.</summary>
    private static string SourceStamp(string source) => string.Join(';', Directory.GetFiles(source).Order(StringComparer.Ordinal)
        .Select(f => new FileInfo(f)).Select(f => $"{f.Name}:{f.Length}:{f.LastWriteTimeUtc.Ticks}"));

    private static bool IsFloating(TensorElementType type) =>
        type is TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Float32 or TensorElementType.Float64;

    private static TensorElementType TargetType(CheckpointTensor tensor, ScalarType? dtype) =>
        dtype is { } target && IsFloating(tensor.Type) ? TorchDtypes.ToElementType(target) : tensor.Type;

    private static long TargetLength(CheckpointTensor tensor, ScalarType? dtype) =>
        tensor.Shape.Aggregate(1L, (a, b) => a * b) * TensorDtype.SizeOf(TargetType(tensor, dtype));

    private static byte[] ReadAndConvert(CheckpointTensor tensor, ScalarType? dtype)
    {
        var bytes = new byte[tensor.Length];
        using (var handle = File.OpenHandle(tensor.File))
        {
            for (var read = 0; read < bytes.Length;)
            {
                var n = RandomAccess.Read(handle, bytes.AsSpan(read), tensor.Offset + read);
                read += n > 0 ? n : throw new EndOfStreamException($"{tensor.File} ended inside tensor '{tensor.Name}'.");
            }
        }

        var target = TargetType(tensor, dtype);
        if (target == tensor.Type)
        {
            return bytes;
        }

        using var scope = NewDisposeScope();
        var original = empty(tensor.Shape, TorchDtypes.ToScalarType(tensor.Type));
        original.bytes = bytes;
        return original.to_type(TorchDtypes.ToScalarType(target)).bytes.ToArray();
    }

    private sealed record Fingerprint(string Source, string Dtype, string Stamp);
}
