using System.Buffers.Binary;
using System.Text.Json;
using Tensorizer.Reading;

namespace Tensorizer.Format;

/// <summary>
/// The header of a <c>.safetensors</c> file: a u64 little-endian length N, N bytes of JSON mapping each tensor's
/// name to its dtype, shape and data offsets (relative to the byte after the header), then the data. Parsed with
/// the guarantees of the <c>.tensors</c> index: bounded lengths, every offset inside the file, dtype, shape and
/// length in agreement, no two tensors sharing a byte and no byte left unaccounted (as the reference reader
/// requires), names unique; every breach is a typed error naming the file and the tensor.
/// </summary>
public sealed class SafetensorsHeader
{
    /// <summary>The reference implementation's limit on the JSON header (100 MB).</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>The length prefix in front of the JSON.</summary>
    public const int PrefixSize = 8;

    /// <summary>More dimensions than any real tensor has; a bound on what a hostile header can make us allocate.</summary>
    public const int MaxRank = 64;

    private const string MetadataKey = "__metadata__";

    private SafetensorsHeader(long dataStart, IReadOnlyList<TensorEntry> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        DataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>Where the data starts: the prefix and the JSON header.</summary>
    public long DataStart { get; }

    /// <summary>The tensors in data order, as index entries with absolute offsets and no tensor header.</summary>
    public IReadOnlyList<TensorEntry> Tensors { get; }

    /// <summary>The optional <c>__metadata__</c> map of strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The JSON header's length from the 8-byte prefix, checked against the file and the limit.</summary>
    public static long ReadHeaderLength(ReadOnlySpan<byte> prefix, long fileLength, string location)
    {
        if (fileLength < PrefixSize || prefix.Length < PrefixSize)
        {
            throw new TensorizerFormatException($"{location} is truncated: {fileLength} bytes, shorter than the 8-byte safetensors header length.");
        }

        var length = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (length == 0 || length > MaxHeaderLength)
        {
            throw new TensorizerFormatException(
                $"{location}: a safetensors header length of {length} bytes is {(length == 0 ? "empty" : $"over the {MaxHeaderLength}-byte limit")}; not a safetensors file?");
        }

        if ((long)length > fileLength - PrefixSize)
        {
            throw new TensorizerFormatException($"{location} is truncated: its header of {length} bytes runs past the end of the {fileLength}-byte file.");
        }

        return (long)length;
    }

    /// <summary>Parses and checks the JSON header against a file of <paramref name="fileLength"/> bytes.</summary>
    public static SafetensorsHeader Parse(ReadOnlySpan<byte> json, long fileLength, string location)
    {
        var dataStart = PrefixSize + (long)json.Length;
        var dataLength = fileLength - dataStart;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException e)
        {
            throw new TensorizerFormatException($"{location}: the safetensors header is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new TensorizerFormatException($"{location}: the safetensors header is a JSON {document.RootElement.ValueKind}, not an object.");
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var tensors = new List<TensorEntry>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name))
                {
                    throw new TensorizerFormatException($"{location}: the safetensors header names '{property.Name}' twice.");
                }

                if (property.Name == MetadataKey)
                {
                    ReadMetadata(property.Value, metadata, location);
                    continue;
                }

                tensors.Add(Entry(property, dataStart, dataLength, location));
            }

            tensors.Sort((a, b) => a.DataOffset != b.DataOffset ? a.DataOffset.CompareTo(b.DataOffset) : a.DataLength.CompareTo(b.DataLength));
            CheckCoverage(tensors, dataStart, fileLength, location);
            return new SafetensorsHeader(dataStart, tensors, metadata);
        }
    }

    /// <summary>The file's dtype names and the element types they mean.</summary>
    public static bool TryParseDtype(string? dtype, out TensorElementType type)
    {
        type = dtype switch
        {
            "BOOL" => TensorElementType.Bool,
            "U8" => TensorElementType.UInt8,
            "I8" => TensorElementType.Int8,
            "I16" => TensorElementType.Int16,
            "U16" => TensorElementType.UInt16,
            "I32" => TensorElementType.Int32,
            "U32" => TensorElementType.UInt32,
            "I64" => TensorElementType.Int64,
            "U64" => TensorElementType.UInt64,
            "F16" => TensorElementType.Float16,
            "BF16" => TensorElementType.BFloat16,
            "F32" => TensorElementType.Float32,
            "F64" => TensorElementType.Float64,
            "F8_E4M3" => TensorElementType.Float8E4M3FN,
            "F8_E5M2" => TensorElementType.Float8E5M2,
            _ => (TensorElementType)(-1),
        };
        return (int)type >= 0;
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string location)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new TensorizerFormatException($"{location}: the safetensors {MetadataKey} is a JSON {value.ValueKind}, not a map of strings.");
        }

        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String || !metadata.TryAdd(item.Name, item.Value.GetString()!))
            {
                throw new TensorizerFormatException($"{location}: the safetensors {MetadataKey} entry '{item.Name}' is not a unique string.");
            }
        }
    }

    private static TensorEntry Entry(JsonProperty property, long dataStart, long dataLength, string location)
    {
        var name = property.Name;
        var value = property.Value;
        if (name.Length == 0)
        {
            throw new TensorizerFormatException($"{location}: the safetensors header has a tensor with an empty name.");
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new TensorizerFormatException($"{location}: tensor '{name}' is a JSON {value.ValueKind}, not an object with dtype, shape and data_offsets.");
        }

        var dtypeText = Field(value, "dtype", JsonValueKind.String, name, location).GetString();
        if (!TryParseDtype(dtypeText, out var type))
        {
            throw new TensorizerUnsupportedException($"{location}: tensor '{name}' has dtype '{dtypeText}', which this reader does not support.");
        }

        var shape = Integers(Field(value, "shape", JsonValueKind.Array, name, location), "shape", name, location);
        if (shape.Length > MaxRank)
        {
            throw new TensorizerFormatException($"{location}: tensor '{name}' has {shape.Length} dimensions, more than {MaxRank}.");
        }

        var offsets = Integers(Field(value, "data_offsets", JsonValueKind.Array, name, location), "data_offsets", name, location);
        if (offsets.Length != 2 || offsets[1] < offsets[0])
        {
            throw new TensorizerLayoutException($"{location}: tensor '{name}' has data_offsets [{string.Join(", ", offsets)}]; expected [begin, end] with begin <= end.");
        }

        long expected;
        try
        {
            expected = checked(shape.Aggregate(1L, (a, b) => checked(a * b)) * TensorDtype.SizeOf(type));
        }
        catch (OverflowException e)
        {
            throw new TensorizerFormatException($"{location}: tensor '{name}' of shape [{string.Join(", ", shape)}] is larger than any file.", e);
        }

        if (offsets[1] > dataLength)
        {
            throw new TensorizerLayoutException(
                $"{location}: tensor '{name}' ends at data byte {offsets[1]}, past the {dataLength} data bytes of the file (truncated?).");
        }

        if (offsets[1] - offsets[0] != expected)
        {
            throw new TensorizerLayoutException(
                $"{location}: tensor '{name}' ({dtypeText}, shape [{string.Join(", ", shape)}]) needs {expected} bytes, but its data_offsets span {offsets[1] - offsets[0]}.");
        }

        return new TensorEntry(TensorName.Plain(name), TensorKind.Parameter, TensorDtype.For(type), shape, dataStart + offsets[0], dataStart + offsets[0], expected);
    }

    private static JsonElement Field(JsonElement value, string field, JsonValueKind kind, string name, string location) =>
        value.TryGetProperty(field, out var element) && element.ValueKind == kind
            ? element
            : throw new TensorizerFormatException($"{location}: tensor '{name}' has no {field} {(kind == JsonValueKind.Array ? "array" : "string")}.");

    private static long[] Integers(JsonElement array, string field, string name, string location)
    {
        var values = new List<long>();
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var number) || number < 0 || values.Count > MaxRank)
            {
                throw new TensorizerFormatException($"{location}: tensor '{name}' has a {field} that is not a short list of non-negative integers.");
            }

            values.Add(number);
        }

        return [.. values];
    }

    /// <summary>Sorted by offset, each tensor must start where the one before ends and the last end at the file's end.</summary>
    private static void CheckCoverage(List<TensorEntry> tensors, long dataStart, long fileLength, string location)
    {
        var end = dataStart;
        foreach (var tensor in tensors)
        {
            if (tensor.DataOffset < end)
            {
                throw new TensorizerLayoutException(
                    $"{location}: tensor '{tensor.Name}' at data bytes [{tensor.DataOffset - dataStart}, {tensor.DataEnd - dataStart}) overlaps the tensor before it.");
            }

            if (tensor.DataOffset > end)
            {
                throw new TensorizerLayoutException(
                    $"{location}: data bytes [{end - dataStart}, {tensor.DataOffset - dataStart}) before tensor '{tensor.Name}' belong to no tensor.");
            }

            end = tensor.DataEnd;
        }

        if (end != fileLength)
        {
            throw new TensorizerLayoutException($"{location}: {fileLength - end} bytes after the last tensor belong to no tensor.");
        }
    }
}
