using Tensorizer.Format;
using Tensorizer.Reading;
using Tensorizer.Torch.Targets;
using TorchSharp;
using static TorchSharp.torch;

namespace Tensorizer.Torch;

/// <summary>
/// Loads weights into TorchSharp, a <c>.tensors</c> file or a safetensors checkpoint alike (both are an
/// <see cref="ITensorCheckpoint"/> on the same parallel loader): a name→tensor dictionary, or the tensors of a module.
/// </summary>
public static class TorchTensorLoader
{
    /// <summary>
    /// Loads tensors into new tensors on the chosen device, keyed by name; meta tensors come back as zeros. With
    /// <see cref="TorchLoadOptions.Dtype"/>, floating CPU tensors are cast chunk by chunk while they are read.
    /// </summary>
    public static async Task<Dictionary<string, Tensor>> LoadTensorsAsync(
        this ITensorCheckpoint file,
        TorchLoadOptions? options = null,
        IProgress<LoadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        options ??= TorchLoadOptions.Default;
        var entries = file.Tensors.Where(options.Filter ?? (_ => true)).ToList();
        var loaded = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            using var session = new LoadSession(options);
            await file.LoadAsync(
                entries,
                entry =>
                {
                    var stored = TorchDtypes.ToScalarType(entry.Dtype.ElementType);
                    var type = options.Dtype is { } dtype && options.Device.type == DeviceType.CPU && !entry.IsMeta && CastingCpuTarget.Supports(entry.Dtype.ElementType, dtype) ? dtype : stored;
                    return session.TargetFor(loaded[entry.Name.Text] = NewTensor(entry, type, options.Device), entry);
                },
                options.Load,
                progress,
                cancellationToken).ConfigureAwait(false);
            return options.Dtype is { } dtype ? ConvertFloatingPoint(loaded, dtype) : loaded;
        }
        catch
        {
            DisposeAll(loaded.Values);
            throw;
        }
    }

    /// <summary>
    /// Loads into a module's parameters and buffers by name. A module tensor with the stored shape on the target
    /// device is filled in place (build modules with <see cref="ModuleConstruction.WithoutInit{T}"/>): read straight
    /// into when it has the stored dtype, cast chunk by chunk while reading when it is another floating type on the
    /// CPU. Others are loaded beside and copied in (device casts). Buffers the file has and the module lacks are
    /// registered on their submodule, as upstream's <c>load_into_module</c> does.
    /// </summary>
    public static async Task<ModuleLoadResult> LoadIntoAsync(
        this ITensorCheckpoint file,
        nn.Module module,
        TorchLoadOptions? options = null,
        IProgress<LoadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(module);
        options ??= TorchLoadOptions.Default;
        var own = module.named_parameters().Select(p => (p.name, tensor: (Tensor)p.parameter))
            .Concat(module.named_buffers().Select(b => (b.name, tensor: b.buffer)))
            .ToDictionary(t => t.name, t => t.tensor, StringComparer.Ordinal);
        var entries = file.Tensors.Where(options.Filter ?? (_ => true)).ToList();
        foreach (var entry in entries.Where(e => !own.ContainsKey(e.Name.Text) && e.Kind != TensorKind.Buffer))
        {
            throw new TensorizerException($"The module has no parameter or buffer named '{entry.Name}' (stored as {entry.Kind}).");
        }

        var staged = new List<(Tensor Loaded, string Name)>();
        var (inPlace, castWhileReading) = (0, 0);
        var copyClock = new System.Diagnostics.Stopwatch();
        try
        {
            using var session = new LoadSession(options);
            await file.LoadAsync(
                entries,
                entry =>
                {
                    if (own.TryGetValue(entry.Name.Text, out var existing) && FitsInPlace(existing, entry, options.Device))
                    {
                        var target = session.TargetFor(existing, entry);
                        if (target is CastingCpuTarget)
                        {
                            castWhileReading++;
                        }
                        else
                        {
                            inPlace++;
                        }

                        return target;
                    }

                    var loaded = NewTensor(entry, TorchDtypes.ToScalarType(entry.Dtype.ElementType), options.Device);
                    staged.Add((loaded, entry.Name.Text));
                    return session.TargetFor(loaded, entry);
                },
                options.Load,
                progress,
                cancellationToken).ConfigureAwait(false);

            copyClock.Start();
            using (no_grad())
            {
                foreach (var (loaded, name) in staged)
                {
                    if (own.TryGetValue(name, out var existing))
                    {
                        Check(existing, loaded, name);
                        existing.copy_(loaded);
                        loaded.Dispose();
                    }
                    else
                    {
                        RegisterBuffer(module, name, loaded);
                    }
                }
            }
        }
        catch
        {
            DisposeAll(staged.Select(s => s.Loaded));
            throw;
        }

        var stored = entries.Select(e => e.Name.Text).ToHashSet(StringComparer.Ordinal);
        return new ModuleLoadResult([.. own.Keys.Where(name => !stored.Contains(name))], inPlace, castWhileReading, staged.Count, copyClock.Elapsed);
    }

    private static Tensor NewTensor(TensorEntry entry, ScalarType type, Device device)
    {
        var shape = entry.Shape.ToArray();
        return entry.DataLength == 0 ? zeros(shape, type, device) : empty(shape, type, device);
    }

    /// <summary>Read straight into, or (CPU, floating types) cast into while reading.</summary>
    private static bool FitsInPlace(Tensor existing, TensorEntry entry, Device device) =>
        existing.device_type == device.type && existing.device_index == device.index && existing.is_contiguous()
        && (existing.dtype == TorchDtypes.ToScalarType(entry.Dtype.ElementType)
            || (existing.device_type == DeviceType.CPU && CastingCpuTarget.Supports(entry.Dtype.ElementType, existing.dtype)))
        && existing.shape.SequenceEqual(entry.Shape)
        && !entry.IsMeta;

    private static void Check(Tensor existing, Tensor loaded, string name)
    {
        if (existing.device_type == DeviceType.META)
        {
            throw new TensorizerException($"Module tensor '{name}' is on the meta device; materialize the module with ModuleConstruction.ToEmpty first.");
        }

        if (!existing.shape.SequenceEqual(loaded.shape))
        {
            throw new TensorizerException(
                $"Tensor '{name}' has shape [{string.Join(", ", loaded.shape)}] in the file but [{string.Join(", ", existing.shape)}] in the module.");
        }
    }

    private static void RegisterBuffer(nn.Module module, string name, Tensor buffer)
    {
        var split = name.LastIndexOf('.');
        var owner = split < 0
            ? module
            : module.named_modules().FirstOrDefault(m => m.name == name[..split]).module
              ?? throw new TensorizerException($"The module has no submodule '{name[..split]}' for buffer '{name}'.");
        owner.register_buffer(name[(split + 1)..], buffer);
    }

    private static Dictionary<string, Tensor> ConvertFloatingPoint(Dictionary<string, Tensor> tensors, ScalarType dtype)
    {
        foreach (var name in tensors.Keys.ToList())
        {
            var tensor = tensors[name];
            if (tensor.is_floating_point() && tensor.dtype != dtype)
            {
                tensors[name] = tensor.to_type(dtype);
                tensor.Dispose();
            }
        }

        return tensors;
    }

    private static void DisposeAll(IEnumerable<Tensor> tensors)
    {
        foreach (var tensor in tensors)
        {
            tensor.Dispose();
        }
    }

    /// <summary>Per-load state: the staging pool for device loads and the scratch chunks for casts, made when first needed.</summary>
    private sealed class LoadSession(TorchLoadOptions options) : IDisposable
    {
        private PinnedStagingPool? _staging;
        private ScratchBuffers? _scratch;

        public ITensorTarget TargetFor(Tensor tensor, TensorEntry entry) => tensor.device_type switch
        {
            DeviceType.CPU when tensor.dtype == TorchDtypes.ToScalarType(entry.Dtype.ElementType) => new CpuTensorTarget(tensor),
            DeviceType.CPU => new CastingCpuTarget(tensor, entry.Dtype.ElementType, _scratch ??= new ScratchBuffers(options.Load.ChunkSize, options.Load.Readers)),
            _ => new StagedDeviceTarget(tensor, _staging ??= new PinnedStagingPool(options.StagingBuffers, options.Load.ChunkSize)),
        };

        public void Dispose()
        {
            _staging?.Dispose();
            _scratch?.Dispose();
        }
    }
}
