using Tensorizer.Format;
using Tensorizer.Reading;
using TorchSharp;

namespace Tensorizer.Torch;

/// <summary>Where and how tensors land in TorchSharp.</summary>
public sealed record TorchLoadOptions
{
    /// <summary>Target device; CPU loads are zero-copy, others go through pinned staging buffers.</summary>
    public torch.Device Device { get; init; } = torch.CPU;

    /// <summary>Convert floating-point tensors to this type (null keeps the stored dtype).</summary>
    public torch.ScalarType? Dtype { get; init; }

    /// <summary>Load only the tensors this accepts (null loads all).</summary>
    public Func<TensorEntry, bool>? Filter { get; init; }

    public LoadOptions Load { get; init; } = LoadOptions.Default;

    /// <summary>Pinned staging buffers for device loads; host memory used is this × chunk size.</summary>
    public int StagingBuffers { get; init; } = 8;

    public static TorchLoadOptions Default { get; } = new();
}
