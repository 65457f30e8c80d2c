using TorchSharp;
using static TorchSharp.torch;

namespace Benchmarks.Support;

/// <summary>TorchSharp's own ways to persist the same tensors, for comparison with the tensorizer loader.</summary>
internal static class TorchSharpBaseline
{
    /// <summary>TorchSharp's state-dict stream (what <c>Module.save</c> writes).</summary>
    public static void SaveStateDict(Dictionary<string, Tensor> tensors, string path)
    {
        using var writer = new BinaryWriter(File.Create(path));
        nn.Module.save_state_dict(writer, tensors);
    }

    /// <summary>Reads TorchSharp's state-dict stream back into new tensors (what <c>Module.load</c> reads).</summary>
    public static List<Tensor> LoadStateDict(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        var count = ReadLeb128(reader);
        var tensors = new List<Tensor>();
        for (long i = 0; i < count; i++)
        {
            _ = reader.ReadString();
            tensors.Add(TensorExtensionMethods.Load(reader));
        }

        return tensors;
    }

    /// <summary>libtorch's native serializer (<c>torch::save</c>), one file per tensor.</summary>
    public static void SaveNative(Dictionary<string, Tensor> tensors, string directory)
    {
        Directory.CreateDirectory(directory);
        var i = 0;
        foreach (var tensor in tensors.Values)
        {
            torch.save(tensor, Path.Combine(directory, $"{i++:D4}.pt"));
        }
    }

    public static List<Tensor> LoadNative(string directory) =>
        [.. Directory.GetFiles(directory, "*.pt").Order(StringComparer.Ordinal).Select(f => torch.load(f))];

    private static long ReadLeb128(BinaryReader reader)
    {
        long value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = reader.ReadByte();
            value |= (long)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
