using AppHost.Publishing.T9k;
using k8s.Models;

namespace AppHost.Publishing;

/// <summary>
/// The seed's download job, done by <c>downloader convert</c>: fetch the checkpoint, convert it to <c>.tensors</c> and write
/// the model folder (config, tokenizer, <c>model.tensors</c>, completion marker last) onto the volume. Like the seed's job:
/// container <c>model-downloader</c>, the claim mounted at <c>/mnt</c> as <c>model-cache</c>, 2 CPU and 40Gi, no GPU, no restarts in the pod.
/// </summary>
internal static class ConverterManifests
{
    public const string ContainerName = "model-downloader";
    public const string VolumeName = "model-cache";
    public const string MountPath = "/mnt";

    /// <summary>A <c>batch/v1</c> Job, as CoreWeave's KServe example runs it (one retry).</summary>
    public static V1Job Job(DeploymentOptions options) => new()
    {
        ApiVersion = "batch/v1",
        Kind = "Job",
        Metadata = Kube.Metadata(options, options.JobName, "converter"),
        Spec = new V1JobSpec { BackoffLimit = 1, Template = PodTemplate(options, Kube.Resources(options.ConverterCpu, options.ConverterMemory)) },
    };

    /// <summary>T9k's GenericJob, field for field the seed's: one <c>master</c> replica decides success and failure.</summary>
    public static CustomResource<GenericJobSpec> GenericJob(DeploymentOptions options)
    {
        var master = new Dictionary<string, int[]> { ["master"] = [0] };
        return new(
            "batch.tensorstack.dev/v1beta1",
            "GenericJob",
            Kube.Metadata(options, options.JobName, "converter"),
            new GenericJobSpec(
                SuccessRules: [master],
                FailureRules: [master],
                ReplicaSpecs: [new ReplicaSpec("master", 1, new ReplicaRestartPolicy("OnFailure", 1), PodTemplate(options, Kube.Limits(options.ConverterCpu, options.ConverterMemory)))]));
    }

    private static V1PodTemplateSpec PodTemplate(DeploymentOptions options, V1ResourceRequirements resources) => new()
    {
        Metadata = new V1ObjectMeta { Labels = Kube.Labels(options.JobName, "converter") },
        Spec = new V1PodSpec
        {
            RestartPolicy = "Never",
            SecurityContext = Kube.WritesVolume(),
            Containers =
            [
                new V1Container
                {
                    Name = ContainerName,
                    Image = options.DownloaderImage,
                    ImagePullPolicy = "IfNotPresent",
                    Args = ["convert", "--source", options.Source, "--output", $"{MountPath}/{options.ModelDirectory}", "--dtype", options.Dtype],
                    Env = EncryptionSecret.KeyFileEnv(options, EncryptionSecret.EncryptVariable),
                    EnvFrom = SourceSecret.ForConverter(options),
                    Resources = resources,
                    VolumeMounts = EncryptionSecret.WithMount(options, [new V1VolumeMount { Name = VolumeName, MountPath = MountPath }]),
                },
            ],
            Volumes = EncryptionSecret.WithVolume(options, [new V1Volume { Name = VolumeName, PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = options.PvcName } }]),
        },
    };
}
