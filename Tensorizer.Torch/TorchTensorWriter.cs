using Tensorizer.Format;
using Tensorizer.Torch.Targets;
using Tensorizer.Writing;
using TorchSharp;
using static TorchSharp.torch;

namespace Tensorizer.Torch;

/// <summary>Writes TorchSharp modules and state dicts as <c>.tensors</c> files.</summary>
public static class TorchTensorWriter
{
    private const int MaxSegment = 1 << 30;

    /// <summary>
    /// Writes a module as upstream's <c>write_module</c> does: one module index per <c>named_modules()</c> entry
    /// (the root is 0), its own parameters typed param and its buffers typed buffer.
    /// </summary>
    public static Task WriteModuleAsync(nn.Module module, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(module);
        var modules = new List<(string Prefix, nn.Module Module)> { ("", module) };
        modules.AddRange(module.named_modules().Select(m => (m.name + ".", m.module)));
        var tensors = new List<TensorToWrite>();
        var keepAlive = new List<Tensor>();
        for (var index = 0; index < modules.Count; index++)
        {
            var (prefix, owner) = modules[index];
            foreach (var (name, parameter) in owner.named_parameters(recurse: false))
            {
                tensors.Add(ToWrite(prefix + name, TensorKind.Parameter, parameter, (ushort)index, keepAlive));
            }

            foreach (var (name, buffer) in owner.named_buffers(recurse: false))
            {
                tensors.Add(ToWrite(prefix + name, TensorKind.Buffer, buffer, (ushort)index, keepAlive));
            }
        }

        return WriteAndReleaseAsync(path, tensors, keepAlive, cancellationToken);
    }

    /// <summary>Writes a name→tensor map as upstream's <c>write_state_dict</c> does (state_dict type, module index 0).</summary>
    public static Task WriteStateDictAsync(IEnumerable<KeyValuePair<string, Tensor>> stateDict, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var keepAlive = new List<Tensor>();
        var tensors = stateDict.Select(p => ToWrite(p.Key, TensorKind.StateDict, p.Value, 0, keepAlive)).ToList();
        return WriteAndReleaseAsync(path, tensors, keepAlive, cancellationToken);
    }

    private static async Task WriteAndReleaseAsync(string path, List<TensorToWrite> tensors, List<Tensor> keepAlive, CancellationToken cancellationToken)
    {
        try
        {
            await TensorWriter.WriteFileAsync(path, tensors, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var tensor in keepAlive)
            {
                tensor.Dispose();
            }
        }
    }

    /// <summary>Views a tensor's bytes in place (CPU, contiguous); meta tensors are written as meta (format v4).</summary>
    private static TensorToWrite ToWrite(string name, TensorKind kind, Tensor tensor, ushort moduleIndex, List<Tensor> keepAlive)
    {
        var dtype = TensorDtype.For(TorchDtypes.ToElementType(tensor.dtype));
        var shape = tensor.shape;
        if (tensor.device_type == DeviceType.META)
        {
            return new TensorToWrite(TensorName.Plain(name), kind, dtype, shape, null, moduleIndex);
        }

        var host = tensor.detach().cpu().contiguous();
        keepAlive.Add(host);
        var length = host.numel() * host.ElementSize;
        var data = TorchNative.DataPointer(host);
        var segments = new List<ReadOnlyMemory<byte>>();
        for (long offset = 0; offset < length; offset += MaxSegment)
        {
            segments.Add(new PointerMemory(data + (nint)offset, (int)Math.Min(MaxSegment, length - offset)).Memory);
        }

        return new TensorToWrite(TensorName.Plain(name), kind, dtype, shape, segments, moduleIndex);
    }
}
