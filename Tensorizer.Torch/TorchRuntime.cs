using System.Runtime.InteropServices;

namespace Tensorizer.Torch;

/// <summary>Process-wide switches for libtorch that must be set before it loads.</summary>
public static partial class TorchRuntime
{
    /// <summary>
    /// Asks libtorch to back large CPU allocations with transparent huge pages (<c>THP_MEM_ALLOC_ENABLE=1</c>).
    /// First-touch of 4 KiB pages runs at ~0.3 GB/s on common VMs, so this decides CPU load speed. libtorch reads
    /// the variable with the C library's getenv and caches it on its first allocation: .NET's
    /// <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach it, so this calls setenv,
    /// and must run before any TorchSharp call. An explicit setting in the environment wins.
    /// </summary>
    public static void EnableTransparentHugePages()
    {
        if (OperatingSystem.IsLinux())
        {
            _ = SetEnvironment("THP_MEM_ALLOC_ENABLE", "1", overwrite: 0);
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);
}
