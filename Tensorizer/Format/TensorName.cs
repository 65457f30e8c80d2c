using System.Text;
using System.Text.Json;

namespace Tensorizer.Format;

/// <summary>
/// A tensor's name. Plain names are UTF-8 strings; since tensorizer 2.9, <c>write_state_dict</c> stores nested
/// paths as <c>0x1E</c> followed by a compact JSON array (<c>\x1e["model","layer",0,"weight"]</c>).
/// </summary>
public sealed class TensorName : IEquatable<TensorName>
{
    private const byte StructuredMarker = 0x1E;
    private static readonly JsonSerializerOptions CompactJson = new() { WriteIndented = false };

    private TensorName(byte[] encoded, string text, IReadOnlyList<object>? path)
    {
        Encoded = encoded;
        Text = text;
        Path = path;
    }

    /// <summary>The bytes stored in the file.</summary>
    public ReadOnlyMemory<byte> Encoded { get; }

    /// <summary>The name used as a key: the plain string, or a structured path joined with '.'.</summary>
    public string Text { get; }

    /// <summary>The components (strings and integers) of a structured name; null for a plain name.</summary>
    public IReadOnlyList<object>? Path { get; }

    public static TensorName Plain(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return new TensorName(Encoding.UTF8.GetBytes(name), name, null);
    }

    /// <summary>A structured name as upstream's <c>write_state_dict</c> writes for nested containers.</summary>
    public static TensorName Structured(params object[] path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path.Any(p => p is not (string or int or long)))
        {
            throw new ArgumentException("A structured name is a non-empty list of strings and integers.", nameof(path));
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(path, CompactJson);
        var encoded = new byte[json.Length + 1];
        encoded[0] = StructuredMarker;
        json.CopyTo(encoded, 1);
        return new TensorName(encoded, JoinPath(path), path);
    }

    /// <summary>Decodes stored name bytes; structured names are only recognised on state-dict tensors, as upstream.</summary>
    public static TensorName Decode(ReadOnlySpan<byte> bytes, TensorKind kind)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new TensorizerFormatException("A tensor name is not valid UTF-8.", e);
        }

        if (kind != TensorKind.StateDict || bytes.IsEmpty || bytes[0] != StructuredMarker)
        {
            return new TensorName(bytes.ToArray(), text, null);
        }

        var path = ParsePath(bytes[1..]);
        return new TensorName(bytes.ToArray(), JoinPath(path), path);
    }

    public bool Equals(TensorName? other) => other is not null && Encoded.Span.SequenceEqual(other.Encoded.Span);

    public override bool Equals(object? obj) => Equals(obj as TensorName);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Encoded.Span);
        return hash.ToHashCode();
    }

    public override string ToString() => Text;

    private static List<object> ParsePath(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 2 });
            if (document.RootElement.ValueKind != JsonValueKind.Array || document.RootElement.GetArrayLength() == 0)
            {
                throw new TensorizerFormatException("A structured tensor name is not a non-empty JSON array.");
            }

            var path = new List<object>();
            foreach (var element in document.RootElement.EnumerateArray())
            {
                path.Add(element.ValueKind switch
                {
                    JsonValueKind.String => element.GetString()!,
                    JsonValueKind.Number when element.TryGetInt64(out var index) => index,
                    _ => throw new TensorizerFormatException("A structured tensor name holds something other than strings and integers."),
                });
            }

            return path;
        }
        catch (JsonException e)
        {
            throw new TensorizerFormatException("A structured tensor name is not valid JSON.", e);
        }
    }

    private static string JoinPath(IEnumerable<object> path) =>
        string.Join('.', path.Select(p => Convert.ToString(p, System.Globalization.CultureInfo.InvariantCulture)));
}
