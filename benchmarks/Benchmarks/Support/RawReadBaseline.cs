using System.Runtime.InteropServices;

namespace Benchmarks.Support;

/// <summary>
/// What the hardware allows before any format or tensor library: positional reads of the whole file into memory
/// that is fresh (4 KiB pages), fresh transparent huge pages, or already touched. Page faults, not the disk, bound
/// a load from the page cache; these figures show by how much.
/// </summary>
internal static unsafe partial class RawReadBaseline
{
    private const int HugePage = 2 << 20;
    private const int MadviseHugePage = 14;
    private const int ChunkSize = 8 << 20;

    public enum Memory
    {
        Fresh4KiBPages,
        FreshHugePages,
        Touched,
    }

    /// <summary>Seconds to read the file once into a buffer prepared as <paramref name="memory"/> says.</summary>
    public static double Measure(string path, Memory memory)
    {
        using var handle = File.OpenHandle(path);
        var length = RandomAccess.GetLength(handle);
        var size = (nuint)((length + HugePage - 1) / HugePage * HugePage);
        var buffer = (byte*)NativeMemory.AlignedAlloc(size, HugePage);
        try
        {
            if (memory != Memory.Fresh4KiBPages)
            {
                _ = Madvise(buffer, size, MadviseHugePage);
            }

            if (memory == Memory.Touched)
            {
                new Span<byte>(buffer, (int)Math.Min(int.MaxValue, length)).Clear();
                for (long offset = int.MaxValue; offset < length; offset += int.MaxValue)
                {
                    new Span<byte>(buffer + offset, (int)Math.Min(int.MaxValue, length - offset)).Clear();
                }
            }

            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (long offset = 0; offset < length; offset += ChunkSize)
            {
                RandomAccess.Read(handle, new Span<byte>(buffer + offset, (int)Math.Min(ChunkSize, length - offset)), offset);
            }

            return clock.Elapsed.TotalSeconds;
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
