using k8s.Models;

namespace AppHost.Publishing;

/// <summary>The small pieces every manifest builder shares: metadata with the common labels, resource requirements.</summary>
internal static class Kube
{
    public const string GpuResource = "nvidia.com/gpu";

    /// <summary>Lets <c>kubectl get all -l app.kubernetes.io/part-of=tensorizer</c> find everything published.</summary>
    public const string PartOf = "tensorizer";

    public static V1ObjectMeta Metadata(DeploymentOptions options, string name, string component) => new()
    {
        Name = name,
        NamespaceProperty = options.Namespace,
        Labels = Labels(name, component),
    };

    public static Dictionary<string, string> Labels(string name, string component) => new()
    {
        ["app.kubernetes.io/name"] = name,
        ["app.kubernetes.io/component"] = component,
        ["app.kubernetes.io/part-of"] = PartOf,
    };

    public static V1EnvVar Env(string name, string value) => new() { Name = name, Value = value };

    /// <summary>The images' non-root user (<c>ContainerUser</c>, build/Containers.targets; "app" in Microsoft's images).</summary>
    public const long ImageUser = 1654;

    /// <summary>
    /// For a pod whose image writes the model volume: the image's non-root user, and the volume's files given to its group
    /// (<c>fsGroup</c>), since a fresh claim's root belongs to root.
    /// </summary>
    public static V1PodSecurityContext WritesVolume() => new() { RunAsNonRoot = true, RunAsUser = ImageUser, RunAsGroup = ImageUser, FsGroup = ImageUser };

    /// <summary>Limits, and requests equal to them (guaranteed QoS: a 40–64Gi pod should not be the first one evicted).</summary>
    public static V1ResourceRequirements Resources(string cpu, string memory, int gpus = 0)
    {
        var amounts = Amounts(cpu, memory, gpus);
        return new V1ResourceRequirements { Requests = amounts, Limits = Amounts(cpu, memory, gpus) };
    }

    /// <summary>Limits alone, as T9k's seed manifests write them (T9k fills requests from limits).</summary>
    public static V1ResourceRequirements Limits(string cpu, string memory, int gpus = 0) => new() { Limits = Amounts(cpu, memory, gpus) };

    private static Dictionary<string, ResourceQuantity> Amounts(string cpu, string memory, int gpus)
    {
        var amounts = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new(memory) };
        if (gpus > 0)
        {
            amounts[GpuResource] = new ResourceQuantity(gpus.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return amounts;
    }
}
