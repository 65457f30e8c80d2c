using AdminConsole.Configuration;
using k8s.Models;
using Tensorizer.Configuration;

namespace AdminConsole.Services.Conversions.Kubernetes;

/// <summary>
/// The converter Job: the Downloader image running <c>convert --source … --output … --dtype …</c> once (no restarts
/// in the pod; the Job's own backoff retries, and a retry resumes its downloads), with the model PVC mounted for
/// folder stores, a Secret's keys as environment for hub tokens and S3 keys, and an encryption key Secret mounted
/// read-only (the same layout as the AppHost's published converter Job).
/// </summary>
public static class ConverterJob
{
    public const string ManagedBy = "tensorizer-console";
    public const string ContainerName = "convert";
    private const string VolumeName = "models";
    private const string KeyVolumeName = "tensorizer-key";
    private const string KeyMountPath = "/var/run/secrets/tensorizer";
    private const string KeyName = "key";

    /// <summary>The Downloader image's non-root user (<c>ContainerUser</c> in build/Containers.targets).</summary>
    public const long ImageUser = 1654;

    public static V1Job Build(string name, ConversionSpec spec, string output, ConverterOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        var labels = new Dictionary<string, string>
        {
            ["app.kubernetes.io/name"] = "converter",
            ["app.kubernetes.io/managed-by"] = ManagedBy,
            ["app.kubernetes.io/component"] = "converter",
        };
        var container = new V1Container
        {
            Name = ContainerName,
            Image = options.Image,
            Args = ["convert", "--source", spec.SourceUri, "--output", output, "--dtype", spec.Dtype, .. spec.Force ? new[] { "--force" } : []],
            EnvFrom = options.Secret is { } secret ? [new V1EnvFromSource { SecretRef = new V1SecretEnvSource { Name = secret } }] : null,
            Env = options.EncryptionSecret is null ? null : [new V1EnvVar { Name = SettingNames.EncryptKeyFile, Value = $"{KeyMountPath}/{KeyName}" }],
            Resources = Resources(options),
            VolumeMounts = NullIfEmpty([
                .. options.Pvc is null ? [] : new[] { new V1VolumeMount { Name = VolumeName, MountPath = options.MountPath } },
                .. options.EncryptionSecret is null ? [] : new[] { new V1VolumeMount { Name = KeyVolumeName, MountPath = KeyMountPath, ReadOnlyProperty = true } },
            ]),
        };
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                Labels = labels,
                Annotations = new Dictionary<string, string> { ["tensorizer.dev/source"] = spec.SourceUri, ["tensorizer.dev/output"] = output },
            },
            Spec = new V1JobSpec
            {
                BackoffLimit = options.BackoffLimit,
                TtlSecondsAfterFinished = options.TtlSecondsAfterFinished,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec
                    {
                        RestartPolicy = "Never",

                        // The Downloader image runs as a non-root user (1654, build/Containers.targets): the claim's files go to its group.
                        SecurityContext = new V1PodSecurityContext { RunAsNonRoot = true, RunAsUser = ImageUser, RunAsGroup = ImageUser, FsGroup = ImageUser },
                        Containers = [container],
                        Volumes = NullIfEmpty([
                            .. options.Pvc is { } claim
                                ? new[] { new V1Volume { Name = VolumeName, PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim } } }
                                : [],
                            .. options.EncryptionSecret is { } keySecret
                                ? new[] { new V1Volume { Name = KeyVolumeName, Secret = new V1SecretVolumeSource { SecretName = keySecret, Items = [new V1KeyToPath { Key = KeyName, Path = KeyName }] } } }
                                : [],
                        ]),
                    },
                },
            },
        };
    }

    private static List<T>? NullIfEmpty<T>(List<T> items) => items.Count == 0 ? null : items;

    /// <summary>A Job name from the destination: DNS-1123, at most 63 characters with the suffix that keeps it unique.</summary>
    public static string NameFor(string destination, string suffix)
    {
        var slug = new string([.. destination.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]).Trim('-');
        var head = $"convert-{slug}";
        return $"{head[..Math.Min(head.Length, 63 - suffix.Length - 1)].TrimEnd('-')}-{suffix}";
    }

    private static V1ResourceRequirements? Resources(ConverterOptions options)
    {
        var requests = new Dictionary<string, ResourceQuantity>();
        if (options.Cpu is { } cpu)
        {
            requests["cpu"] = new ResourceQuantity(cpu);
        }

        if (options.Memory is { } memory)
        {
            requests["memory"] = new ResourceQuantity(memory);
        }

        return requests.Count == 0 ? null : new V1ResourceRequirements
        {
            Requests = requests,
            Limits = options.Memory is { } limit ? new Dictionary<string, ResourceQuantity> { ["memory"] = new(limit) } : null,
        };
    }
}
