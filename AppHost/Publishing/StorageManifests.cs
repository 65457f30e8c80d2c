using k8s.Models;

namespace AppHost.Publishing;

/// <summary>The model volume: the seed's <c>tensorizer</c> claim, written by the converter and read by the service.</summary>
internal static class StorageManifests
{
    public static V1PersistentVolumeClaim ModelVolume(DeploymentOptions options) => new()
    {
        ApiVersion = "v1",
        Kind = "PersistentVolumeClaim",
        Metadata = Kube.Metadata(options, options.PvcName, "model-storage"),
        Spec = new V1PersistentVolumeClaimSpec
        {
            AccessModes = [options.AccessMode],
            StorageClassName = options.StorageClass,
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(options.PvcSize) } },
        },
    };
}
