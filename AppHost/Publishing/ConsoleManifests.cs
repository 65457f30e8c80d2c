using k8s.Models;

namespace AppHost.Publishing;

/// <summary>
/// The console (Console.Blazor): a Deployment and Service, and the RBAC it needs to start converter Jobs and follow
/// their pods' logs, in its own namespace only. Its settings say where the service and the model volume are.
/// </summary>
internal static class ConsoleManifests
{
    private const int Port = 8080;
    private const string Component = "console";

    public static IReadOnlyList<object> All(DeploymentOptions options) =>
        [ServiceAccount(options), Role(options), RoleBinding(options), Deployment(options), Service(options)];

    public static V1ServiceAccount ServiceAccount(DeploymentOptions options) => new()
    {
        ApiVersion = "v1",
        Kind = "ServiceAccount",
        Metadata = Kube.Metadata(options, options.ConsoleName, Component),
    };

    public static V1Role Role(DeploymentOptions options) => new()
    {
        ApiVersion = "rbac.authorization.k8s.io/v1",
        Kind = "Role",
        Metadata = Kube.Metadata(options, options.ConsoleName, Component),
        Rules =
        [
            new V1PolicyRule { ApiGroups = ["batch"], Resources = ["jobs"], Verbs = ["create", "get", "list", "watch", "delete"] },
            new V1PolicyRule { ApiGroups = [""], Resources = ["pods", "pods/log"], Verbs = ["get", "list"] },
        ],
    };

    public static V1RoleBinding RoleBinding(DeploymentOptions options) => new()
    {
        ApiVersion = "rbac.authorization.k8s.io/v1",
        Kind = "RoleBinding",
        Metadata = Kube.Metadata(options, options.ConsoleName, Component),
        RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = options.ConsoleName },
        Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = options.ConsoleName, NamespaceProperty = options.Namespace }],
    };

    public static V1Deployment Deployment(DeploymentOptions options)
    {
        var labels = Kube.Labels(options.ConsoleName, Component);
        return new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = Kube.Metadata(options, options.ConsoleName, Component),
            Spec = new V1DeploymentSpec
            {
                Replicas = 1,
                Selector = new V1LabelSelector { MatchLabels = labels },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec
                    {
                        ServiceAccountName = options.ConsoleName,
                        Containers =
                        [
                            new V1Container
                            {
                                Name = Component,
                                Image = options.ConsoleImage,
                                Ports = [new V1ContainerPort { ContainerPort = Port, Name = "http" }],
                                Env = Environment(options),
                                VolumeMounts = [new V1VolumeMount { Name = "models", MountPath = ModelStore, ReadOnlyProperty = true }],
                                Resources = new V1ResourceRequirements
                                {
                                    Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("256Mi") },
                                    Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("512Mi") },
                                },
                                ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/health", Port = "http" }, PeriodSeconds = 10 },
                            },
                        ],
                        Volumes = [new V1Volume { Name = "models", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = options.PvcName, ReadOnlyProperty = true } }],
                    },
                },
            },
        };
    }

    public static V1Service Service(DeploymentOptions options) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = Kube.Metadata(options, options.ConsoleName, Component),
        Spec = new V1ServiceSpec
        {
            Selector = Kube.Labels(options.ConsoleName, Component),
            Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = "http" }],
        },
    };

    /// <summary>
    /// Aspire's service-discovery key for the inference endpoint (as the AppHost's <c>WithReference</c> sets it locally),
    /// and what the console needs to start a converter Job like <see cref="ConverterManifests"/>'s.
    /// </summary>
    private static List<V1EnvVar> Environment(DeploymentOptions options) =>
    [
        Kube.Env("ASPNETCORE_HTTP_PORTS", Port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Kube.Env("Console__Mode", "Kubernetes"),
        Kube.Env("Console__ModelStore", ModelStore),
        new V1EnvVar
        {
            // The operator creates it (README): the console refuses to start its pod without an access token.
            Name = "Console__AccessToken",
            ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = AccessSecret(options), Key = "token" } },
        },
        Kube.Env("services__inference__http__0", InferenceUrl(options)),
        new V1EnvVar { Name = "Converter__Namespace", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.namespace" } } },
        Kube.Env("Converter__Image", options.DownloaderImage),
        Kube.Env("Converter__Pvc", options.PvcName),
        Kube.Env("Converter__Cpu", options.ConverterCpu),
        Kube.Env("Converter__Memory", options.ConverterMemory),
        .. options.EncryptionSecret is { } secret ? [Kube.Env("Converter__EncryptionSecret", secret)] : Array.Empty<V1EnvVar>(),
    ];

    /// <summary>Where the console reads the model volume (read-only: converter Jobs write it).</summary>
    public const string ModelStore = "/mnt/models";

    /// <summary>The Secret holding the console's access token, key <c>token</c>.</summary>
    public static string AccessSecret(DeploymentOptions options) => $"{options?.ConsoleName}-access";

    /// <summary>
    /// The service's address inside the cluster: KServe's predictor Service <c>{isvc}-predictor</c> (raw and Knative modes);
    /// T9k's release revision <c>{mlservice}-predict-{release}</c> (from T9k's release URL pattern; inferred, not read from its controller).
    /// </summary>
    public static string InferenceUrl(DeploymentOptions options) => options.Platform switch
    {
        Platform.T9k => $"http://{options.ServiceName}-predict-{options.ModelName}.{options.Namespace}.svc.cluster.local",
        _ => $"http://{options.ServiceName}-predictor.{options.Namespace}.svc.cluster.local",
    };
}
