using System.Reflection;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Tensorizer.Torch;

/// <summary>
/// Builds modules without paying for random initialization (tensorizer's <c>no_init_or_tensor</c>): construct on
/// the meta device, where init is free, then give every parameter and buffer uninitialized memory on the target
/// device, ready for the loader to fill in place. TorchSharp 0.107 has no <c>to_empty</c>; this is it.
/// </summary>
public static class ModuleConstruction
{
    private static readonly Lock DefaultDeviceGate = new();

    /// <summary>Constructs a module on meta and materializes it uninitialized on <paramref name="device"/>.</summary>
    /// <remarks>
    /// TorchSharp's default device is process-wide: while <paramref name="construct"/> runs, tensors other threads
    /// create without an explicit device also land on meta. Build models before serving, not beside other work.
    /// </remarks>
    public static T WithoutInit<T>(Func<T> construct, Device? device = null)
        where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(construct);
        T module;
        lock (DefaultDeviceGate)
        {
            set_default_device(META);
            try
            {
                module = construct();
            }
            finally
            {
                set_default_device(CPU);
            }
        }

        ToEmpty(module, device ?? CPU);
        return module;
    }

    /// <summary>Replaces every parameter and buffer with uninitialized memory of the same shape and dtype on a device.</summary>
    public static void ToEmpty(nn.Module module, Device device)
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var (_, child) in module.named_children())
        {
            ToEmpty(child, device);
        }

        foreach (var (name, parameter) in module.named_parameters(recurse: false).ToList())
        {
            var replacement = new Parameter(empty(parameter.shape, parameter.dtype, device), parameter.requires_grad);
            Replace(module, name, replacement, isParameter: true);
            parameter.Dispose();
        }

        foreach (var (name, buffer) in module.named_buffers(recurse: false).ToList())
        {
            Replace(module, name, empty(buffer.shape, buffer.dtype, device), isParameter: false);
            buffer.Dispose();
        }
    }

    /// <summary>
    /// Swaps a tensor the way TorchSharp's own <c>Module.to</c> does: through the public property when the module
    /// has one (Linear.weight, …), else by re-registering it and updating the field that holds it.
    /// </summary>
    private static void Replace(nn.Module module, string name, Tensor replacement, bool isParameter)
    {
        var type = module.GetType();
        var property = type.GetProperty(name, BindingFlags.Public | BindingFlags.Instance);
        if (property is { CanWrite: true } && property.PropertyType.IsAssignableFrom(replacement.GetType()))
        {
            property.SetValue(module, replacement);
            return;
        }

        var register = typeof(nn.Module).GetMethod(
            isParameter ? "ConditionallyRegisterParameter" : "ConditionallyRegisterBuffer",
            BindingFlags.NonPublic | BindingFlags.Instance,
            isParameter ? [typeof(string), typeof(Parameter)] : [typeof(string), typeof(Tensor), typeof(bool)])
            ?? throw new MissingMethodException("TorchSharp's module registration API changed; ModuleConstruction needs updating.");
        register.Invoke(module, isParameter ? [name, replacement] : [name, replacement, true]);
        FieldFor(type, name)?.SetValue(module, replacement);
    }

    private static FieldInfo? FieldFor(Type? type, string name)
    {
        for (; type is not null; type = type.BaseType)
        {
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                var componentName = field.GetCustomAttribute<ComponentNameAttribute>()?.Name ?? field.Name;
                if ((componentName == name || field.Name == name || field.Name == "_" + name) && typeof(Tensor).IsAssignableFrom(field.FieldType))
                {
                    return field;
                }
            }
        }

        return null;
    }
}
