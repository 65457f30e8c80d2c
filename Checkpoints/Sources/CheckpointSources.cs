using Checkpoints.Sources.Hubs;
using Tensorizer.Sources.S3;

namespace Checkpoints.Sources;

/// <summary>One way to name a checkpoint: a folder, <c>hf://</c>, <c>modelscope://</c>, <c>s3://</c> or <c>builtin://</c>.</summary>
public static class CheckpointSources
{
    public static ICheckpointSource Open(string location, SourceSettings settings)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(settings);
        if (location.StartsWith("builtin://", StringComparison.Ordinal))
        {
            return new BuiltinSource(location);
        }

        if (S3Location.IsS3Uri(location))
        {
            return new S3PrefixSource(location, settings);
        }

        if (location.StartsWith("hf://", StringComparison.Ordinal))
        {
            return new HuggingFaceSource(HubRepository.Parse(location), settings);
        }

        if (location.StartsWith("modelscope://", StringComparison.Ordinal))
        {
            return new ModelScopeSource(HubRepository.Parse(location), settings);
        }

        if (location.StartsWith("file://", StringComparison.Ordinal))
        {
            return new LocalFolderSource(new Uri(location).LocalPath);
        }

        return location.Contains("://", StringComparison.Ordinal)
            ? throw new NotSupportedException($"Unsupported checkpoint source '{location}'; use a folder, hf://org/name[@revision], modelscope://org/name[@revision], s3://bucket/prefix/ or builtin://tiny-gptj.")
            : new LocalFolderSource(location);
    }
}
