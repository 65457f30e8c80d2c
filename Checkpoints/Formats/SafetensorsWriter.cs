using System.Text;
using System.Text.Json;

namespace Checkpoints.Formats;

/// <summary>A tensor to write to a <c>.safetensors</c> file: its bytes are produced when the file reaches them.</summary>
public sealed record SafetensorsTensor(string Name, string Dtype, long[] Shape, long Length, Action<Stream> WriteData);

/// <summary>
/// Writes <c>.safetensors</c> files as the format specifies (u64 header length, JSON header padded to 8 bytes, data),
/// streaming each tensor's data in turn: for tests, fixtures and benchmark checkpoints.
/// </summary>
public static class SafetensorsWriter
{
    public static void Write(string path, IEnumerable<(string Name, string Dtype, long[] Shape, byte[] Data)> tensors) =>
        Write(path, [.. tensors.Select(t => new SafetensorsTensor(t.Name, t.Dtype, t.Shape, t.Data.Length, stream => stream.Write(t.Data)))]);

    public static void Write(string path, IReadOnlyList<SafetensorsTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        long offset = 0;
        foreach (var tensor in tensors)
        {
            header[tensor.Name] = new { dtype = tensor.Dtype, shape = tensor.Shape, data_offsets = new[] { offset, offset + tensor.Length } };
            offset += tensor.Length;
        }

        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        var padded = json.Concat(Enumerable.Repeat((byte)' ', (8 - (json.Length % 8)) % 8)).ToArray();
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        file.Write(BitConverter.GetBytes((long)padded.Length));
        file.Write(padded);
        foreach (var tensor in tensors)
        {
            var start = file.Position;
            tensor.WriteData(file);
            if (file.Position - start != tensor.Length)
            {
                throw new InvalidOperationException($"Tensor '{tensor.Name}' wrote {file.Position - start} bytes, not {tensor.Length}.");
            }
        }
    }
}
