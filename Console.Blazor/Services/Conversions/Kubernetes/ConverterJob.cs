using AdminConsole.Configuration;
using k8s.Models;

namespace AdminConsole.Services.Conversions.Kubernetes;

/// <summary>
/// The converter Job: the Downloader image running <c>convert --source … --output … --dtype …</c> once (no restarts
/// in the pod; the Job's own backoff retries, and a retry resumes its downloads), with the model PVC mounted for
/// folder stores and a Secret's keys as environment for hub tokens and S3 keys.
/// </summary>
public static class ConverterJob
{
    public const string ManagedBy = "tensorizer-console";
    public const string ContainerName = "convert";
    private const string VolumeName = "models";

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
            Resources = Resources(options),
            VolumeMounts = options.Pvc is null ? null : [new V1VolumeMount { Name = VolumeName, MountPath = options.MountPath }],
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
                        Containers = [container],
                        Volumes = options.Pvc is { } claim
                            ? [new V1Volume { Name = VolumeName, PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim } }]
                            : null,
                    },
                },
            },
        };
    }

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
