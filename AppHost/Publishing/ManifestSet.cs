namespace AppHost.Publishing;

/// <summary>One manifest file: a multi-document YAML of resources that are applied together.</summary>
public sealed record ManifestFile(string Name, string Description, IReadOnlyList<object> Resources);

/// <summary>Which resources the publish command writes for a platform, one file per part of the pipeline.</summary>
public static class ManifestSet
{
    public static IReadOnlyList<ManifestFile> Build(DeploymentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, problems));
        }

        var kserve = options.Platform == Platform.KServe;
        ManifestFile[] converter = options.Direct
            ? [] // the direct path: the service loads the checkpoint as it is
            : [new(
                "converter.yaml",
                $"The converter {(kserve ? "Job" : "GenericJob")}: {options.Source} to {options.StorageUri} ({options.Dtype}).",
                [kserve ? ConverterManifests.Job(options) : ConverterManifests.GenericJob(options)])];
        return
        [
            new("storage.yaml", "The model volume: the converter writes the model folder, the service reads it.", [StorageManifests.ModelVolume(options)]),
            .. converter,
            new(
                "serving.yaml",
                kserve ? "KServe ServingRuntime and InferenceService for the Inference image." : "T9k MLServiceRuntime and MLService for the Inference image.",
                kserve ? [KServeManifests.ServingRuntime(options), KServeManifests.InferenceService(options)] : [T9kManifests.Runtime(options), T9kManifests.MLService(options)]),
            new("console.yaml", "The console: ServiceAccount, Role and RoleBinding to run converter Jobs, Deployment, Service.", ConsoleManifests.All(options)),
        ];
    }
}
