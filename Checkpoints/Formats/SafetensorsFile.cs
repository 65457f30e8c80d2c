using Tensorizer.Format;

namespace Checkpoints.Formats;

/// <summary>
/// Reads the index of a local <c>.safetensors</c> file for conversion, with the loader's own header checks
/// (<see cref="SafetensorsHeader"/>: bounded lengths, offsets inside the file, no overlap and no hole, dtype, shape
/// and length in agreement, unique names) before any tensor is read.
/// </summary>
public static class SafetensorsFile
{
    /// <exception cref="InvalidDataException">The file is not a well-formed safetensors file (the format's error inside).</exception>
    public static IReadOnlyList<CheckpointTensor> ReadIndex(string path)
    {
        using var handle = File.OpenHandle(path);
        var length = RandomAccess.GetLength(handle);
        try
        {
            var prefix = new byte[Math.Min(SafetensorsHeader.PrefixSize, length)];
            RandomAccess.Read(handle, prefix, 0);
            var header = new byte[SafetensorsHeader.ReadHeaderLength(prefix, length, path)];
            if (RandomAccess.Read(handle, header, SafetensorsHeader.PrefixSize) != header.Length)
            {
                throw new TensorizerFormatException($"{path} is truncated: its header ends early.");
            }

            return [.. SafetensorsHeader.Parse(header, length, path).Tensors.Select(entry =>
                new CheckpointTensor(entry.Name.Text, entry.Dtype.ElementType, [.. entry.Shape], path, entry.DataOffset, entry.DataLength))];
        }
        catch (TensorizerException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }
}
