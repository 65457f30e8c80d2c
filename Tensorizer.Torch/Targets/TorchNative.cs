using System.Runtime.InteropServices;
using TorchSharp;

namespace Tensorizer.Torch.Targets;

/// <summary>The one native call TorchSharp does not expose: a tensor's data pointer (storage plus offset).</summary>
internal static partial class TorchNative
{
    public static IntPtr DataPointer(torch.Tensor tensor)
    {
        var pointer = THSTensor_data(tensor.Handle);
        if (pointer == IntPtr.Zero && tensor.numel() > 0)
        {
            torch.CheckForErrors();
        }

        return pointer;
    }

    [LibraryImport("LibTorchSharp")]
    private static partial IntPtr THSTensor_data(IntPtr handle);
}
