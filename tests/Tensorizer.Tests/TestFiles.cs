using Tensorizer.Reading;
using Tensorizer.Sources;

namespace Tensorizer.Tests;

internal static class TestFiles
{
    public static byte[] Bytes(int count, int seed = 1)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static Task<TensorFile> OpenAsync(byte[] file) => TensorFile.OpenAsync(new MemoryRangeSource(file));

    public static async Task<IReadOnlyDictionary<string, byte[]>> ReadAllAsync(byte[] file, LoadOptions? options = null)
    {
        await using var tensors = await OpenAsync(file);
        return await tensors.ReadBytesAsync(options: options);
    }
}
