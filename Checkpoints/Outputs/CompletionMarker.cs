using System.Text.Json;

namespace Checkpoints.Outputs;

/// <summary>
/// <c>.tensorizer-complete.json</c>, written last: its presence means the model folder is whole, and its content
/// says from which source revision and dtype, so an identical conversion can be skipped.
/// </summary>
public sealed record CompletionMarker(string Source, string Revision, string Dtype, int Tensors, long Bytes)
{
    public const string FileName = ".tensorizer-complete.json";

    public bool SameConversion(CompletionMarker other) =>
        other is not null && other.Source == Source && other.Revision == Revision && other.Dtype == Dtype;

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this);

    /// <summary>The marker, or null when it is missing or unreadable (both mean: not complete).</summary>
    public static CompletionMarker? FromJson(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize<CompletionMarker>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
