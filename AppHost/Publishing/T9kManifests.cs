using AppHost.Publishing.T9k;
using k8s.Models;

namespace AppHost.Publishing;

/// <summary>
/// T9k serving, as the seed's <c>runtime.yaml</c> and <c>mlservice.yaml</c>: an <c>MLServiceRuntime</c> whose
/// <c>user-container</c> runs the Inference image, and an <c>MLService</c> with one release bound to the model volume.
/// </summary>
internal static class T9kManifests
{
    public const string Group = "tensorstack.dev";

    /// <summary>T9k applies storage and logging only to the container with this name.</summary>
    public const string ContainerName = "user-container";

    /// <summary>T9k's default mount for a release's storage (the seed's <c>MODEL_PATH</c>).</summary>
    public const string ModelMount = "/var/lib/t9k/model";

    public static CustomResource<MLServiceRuntimeSpec> Runtime(DeploymentOptions options) => new(
        $"{Group}/v1beta1",
        "MLServiceRuntime",
        Kube.Metadata(options, options.RuntimeName, "serving-runtime"),
        new MLServiceRuntimeSpec(
            Enabled: true,
            new V1PodTemplateSpec
            {
                Spec = new V1PodSpec
                {
                    Containers =
                    [
                        new V1Container
                        {
                            Name = ContainerName,
                            Image = options.InferenceImage,
                            Env = InferenceServer.Environment(options, options.ModelPathFor(ModelMount)),
                            EnvFrom = SourceSecret.ForService(options),
                            Resources = Resources(options),
                            // Knative (under MLService) has no startup probe; its readiness probe keeps traffic off a pod still loading.
                            ReadinessProbe = InferenceServer.Readiness(options, withPort: false),
                            VolumeMounts = EncryptionSecret.Mounts(options),
                        },
                    ],
                    Volumes = EncryptionSecret.Volumes(options),
                },
            }));

    public static CustomResource<MLServiceSpec> MLService(DeploymentOptions options) => new(
        $"{Group}/v1beta1",
        "MLService",
        Kube.Metadata(options, options.ServiceName, "inference"),
        new MLServiceSpec(
            Default: options.ModelName,
            Releases:
            [
                new Release(options.ModelName, new Predictor(
                    options.MinReplicas,
                    new RuntimeReference(options.RuntimeName),
                    new Storage(new PvcStorage(options.ModelVolume.Claim, options.ModelVolume.Folder, ModelMount)),
                    [new ContainerResources(ContainerName, Resources(options))])),
            ]));

    private static V1ResourceRequirements Resources(DeploymentOptions options) =>
        Kube.Limits(options.InferenceCpu, options.InferenceMemory, options.Gpus);
}
