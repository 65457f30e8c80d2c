using AppHost.Publishing.KServe;
using k8s.Models;

namespace AppHost.Publishing;

/// <summary>
/// KServe serving: a <c>ServingRuntime</c> for the Inference image (the server's settings, port and metrics) and an
/// <c>InferenceService</c> for the model (its storage, resources, probes, replicas and concurrency).
/// </summary>
internal static class KServeManifests
{
    public const string Group = "serving.kserve.io";

    /// <summary>The model format the runtime declares and the service asks for: a tensorizer model folder.</summary>
    public const string ModelFormatName = "tensorizer";

    /// <summary>Where KServe mounts <c>storageUri</c> in the serving container (a <c>pvc://</c> source directly, read-only).</summary>
    public const string ModelMount = Tensorizer.Configuration.SettingNames.KServeModelMount;

    public static CustomResource<ServingRuntimeSpec> ServingRuntime(DeploymentOptions options) => new(
        $"{Group}/v1alpha1",
        "ServingRuntime",
        Kube.Metadata(options, options.RuntimeName, "serving-runtime"),
        new ServingRuntimeSpec(
            SupportedModelFormats: [new SupportedModelFormat(ModelFormatName, "1", AutoSelect: true)],
            ProtocolVersions: ["v1", "v2"],
            // KServe's Prometheus annotations for a runtime: the server exports its metrics on the serving port.
            Annotations: new Dictionary<string, string>
            {
                ["prometheus.kserve.io/port"] = InferenceServer.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["prometheus.kserve.io/path"] = "/metrics",
            },
            Containers:
            [
                new V1Container
                {
                    Name = "kserve-container",
                    Image = options.InferenceImage,
                    Env = InferenceServer.Environment(options, options.ModelPathFor(ModelMount)),
                    EnvFrom = SourceSecret.ForService(options),
                    Ports = [new V1ContainerPort { ContainerPort = InferenceServer.Port, Name = "http1", Protocol = "TCP" }],
                    VolumeMounts = EncryptionSecret.Mounts(options),
                },
            ],
            Volumes: EncryptionSecret.Volumes(options)));

    public static CustomResource<InferenceServiceSpec> InferenceService(DeploymentOptions options) => new(
        $"{Group}/v1beta1",
        "InferenceService",
        Kube.Metadata(options, options.ServiceName, "inference"),
        new InferenceServiceSpec(new PredictorSpec(
            options.MinReplicas,
            options.ContainerConcurrency,
            new ModelSpec
            {
                ModelFormat = new ModelFormat(ModelFormatName),
                Runtime = options.RuntimeName,
                StorageUri = options.StorageUri,
                ProtocolVersion = options.Protocol,
                Resources = Kube.Resources(options.InferenceCpu, options.InferenceMemory, options.Gpus),
                StartupProbe = InferenceServer.Startup(options),
                ReadinessProbe = InferenceServer.Readiness(options),
            })));
}
