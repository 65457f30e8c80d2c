using System.Buffers.Binary;
using System.Text.Json;
using Tensorizer.Format;

namespace Checkpoints.Formats;

/// <summary>
/// Reads the index of a <c>.safetensors</c> file: a u64 little-endian header length, a JSON header mapping names
/// to dtype, shape and data offsets (relative to the end of the header), then the data. Every field is checked
/// against the file before any tensor is read.
/// </summary>
public static class SafetensorsFile
{
    private const long MaxHeaderLength = 100 << 20; // the format's own limit

    public static IReadOnlyList<CheckpointTensor> ReadIndex(string path)
    {
        using var handle = File.OpenHandle(path);
        var length = RandomAccess.GetLength(handle);
        Span<byte> prefix = stackalloc byte[8];
        if (length < 8 || RandomAccess.Read(handle, prefix, 0) != 8)
        {
            throw new InvalidDataException($"{path} is too short to be a safetensors file.");
        }

        var headerLength = BinaryPrimitives.ReadInt64LittleEndian(prefix);
        if (headerLength <= 0 || headerLength > MaxHeaderLength || headerLength > length - 8)
        {
            throw new InvalidDataException($"{path}: header length {headerLength} is not valid for a {length}-byte file.");
        }

        var header = new byte[headerLength];
        RandomAccess.Read(handle, header, 8);
        var dataStart = 8 + headerLength;
        try
        {
            using var json = JsonDocument.Parse(header);
            return [.. json.RootElement.EnumerateObject()
                .Where(p => p.Name != "__metadata__")
                .Select(p => Entry(path, p, dataStart, length))];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the header is not valid JSON: {e.Message}", e);
        }
    }

    private static CheckpointTensor Entry(string path, JsonProperty property, long dataStart, long fileLength)
    {
        var value = property.Value;
        var type = ElementType(value.GetProperty("dtype").GetString(), path, property.Name);
        var shape = value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        var offsets = value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        var expected = checked(shape.Aggregate(1L, (a, b) => checked(a * b)) * TensorDtype.SizeOf(type));
        if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] - offsets[0] != expected || dataStart + offsets[1] > fileLength || shape.Any(d => d < 0))
        {
            throw new InvalidDataException($"{path}: tensor '{property.Name}' has offsets [{string.Join(", ", offsets)}] that do not fit its shape or the file.");
        }

        return new CheckpointTensor(property.Name, type, shape, path, dataStart + offsets[0], expected);
    }

    private static TensorElementType ElementType(string? dtype, string path, string name) => dtype switch
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
        _ => throw new InvalidDataException($"{path}: tensor '{name}' has dtype '{dtype}', which is not supported."),
    };
}
