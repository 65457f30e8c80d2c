using k8s.Models;

// KServe's custom resources (serving.kserve.io), reduced to the fields the manifests set. KServe's published CRDs
// (docs/specs.md) are the reference; the tests validate every field written here against them.
namespace AppHost.Publishing.KServe;

/// <summary><c>ServingRuntime</c> (v1alpha1) spec: which model formats and protocols the runtime serves, its pod's containers and volumes.</summary>
public sealed record ServingRuntimeSpec(
    IReadOnlyList<SupportedModelFormat> SupportedModelFormats,
    IReadOnlyList<string> ProtocolVersions,
    IReadOnlyDictionary<string, string> Annotations,
    IReadOnlyList<V1Container> Containers,
    IReadOnlyList<V1Volume>? Volumes = null);

public sealed record SupportedModelFormat(string Name, string Version, bool AutoSelect);

/// <summary><c>InferenceService</c> (v1beta1) spec: only a predictor.</summary>
public sealed record InferenceServiceSpec(PredictorSpec Predictor);

public sealed record PredictorSpec(int MinReplicas, int ContainerConcurrency, ModelSpec Model);

/// <summary>
/// The predictor's model: format, runtime and storage, plus the container fields (inlined in KServe's ModelSpec) that
/// override the runtime's <c>kserve-container</c> for this one model.
/// </summary>
public sealed record ModelSpec
{
    public required ModelFormat ModelFormat { get; init; }

    public required string Runtime { get; init; }

    /// <summary>Null when the service streams the model itself (the direct path from S3, HTTP or a hub): nothing to mount or copy.</summary>
    public string? StorageUri { get; init; }

    public required string ProtocolVersion { get; init; }

    public IReadOnlyList<V1EnvVar>? Env { get; init; }

    public V1ResourceRequirements? Resources { get; init; }

    public V1Probe? StartupProbe { get; init; }

    public V1Probe? ReadinessProbe { get; init; }
}

public sealed record ModelFormat(string Name);
