using System.Text.Json;
using Checkpoints.Sources;
using Tensorizer.Format;

namespace Checkpoints.Conversion;

/// <summary>
/// The converted output's size, known before the weights are downloaded, for the free-space check. Side files are
/// copied as they are; weight files scale by the target's bytes per element over the source's. The source's width is
/// <c>config.json</c>'s <c>torch_dtype</c> when it says; otherwise 2 bytes, the narrowest floating type a
/// checkpoint converts from, so the estimate is an upper bound whatever the weights hold (float32 → float16 without
/// a <c>torch_dtype</c> is counted as a copy, not a half). A margin covers headers and non-floating tensors, which
/// keep their size.
/// </summary>
internal static class OutputSizeEstimate
{
    private const double Margin = 1.01;

    public static long Bytes(IReadOnlyList<CheckpointFile> files, TensorElementType? target, int? sourceWidth)
    {
        ArgumentNullException.ThrowIfNull(files);
        var sideFiles = files.Where(f => ModelFiles.SideFiles.Contains(f.Path)).Sum(f => Math.Max(0, f.Size));
        var weights = files.Sum(f => Math.Max(0, f.Size)) - sideFiles;
        var scale = target is { } dtype ? (double)TensorDtype.SizeOf(dtype) / (sourceWidth ?? 2) : 1.0;
        return sideFiles + (long)Math.Ceiling(weights * Math.Max(scale, 0) * Margin);
    }

    /// <summary>Bytes per element of <c>torch_dtype</c> in a <c>config.json</c>; null when the file or the field is absent or unknown.</summary>
    public static int? SourceWidth(string configPath)
    {
        if (!File.Exists(configPath))
        {
            return null;
        }

        try
        {
            using var config = JsonDocument.Parse(File.ReadAllBytes(configPath));
            var root = config.RootElement;
            return root.ValueKind == JsonValueKind.Object
                && (root.TryGetProperty("torch_dtype", out var value) || root.TryGetProperty("dtype", out value)) // newer transformers write "dtype"
                && value.ValueKind == JsonValueKind.String
                ? value.GetString() switch
                {
                    "float64" or "double" => 8,
                    "float32" or "float" => 4,
                    "float16" or "half" or "bfloat16" => 2,
                    _ => null,
                }
                : null;
        }
        catch (JsonException)
        {
            return null; // the conversion itself reports a broken config; the estimate stays conservative
        }
    }
}
