using System.Runtime.InteropServices;
using TorchSharp;

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

    private static readonly Lazy<Task> CpuStart = new(() => Task.Factory.StartNew(
        () => TorchSharp.torch.InitializeDeviceType(DeviceType.CPU), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));

    /// <summary>
    /// Begins loading libtorch (hundreds of MB of native libraries) on its own thread, so a server can do it while its
    /// host starts; <see cref="Start"/> then only waits for what is left. Call after <see cref="EnableTransparentHugePages"/>.
    /// </summary>
    public static Task Preload() => CpuStart.Value;

    /// <summary>
    /// Starts libtorch for <paramref name="device"/> now (native libraries, device initialization), so that one-time
    /// cost is timed on its own instead of inside the first load or forward pass.
    /// </summary>
    public static void Start(TorchSharp.torch.Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        CpuStart.Value.GetAwaiter().GetResult();
        TorchSharp.torch.InitializeDeviceType(device.type);
        using var probe = TorchSharp.torch.empty(1, device: device);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);
}
