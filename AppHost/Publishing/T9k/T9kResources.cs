using k8s.Models;

// T9k's custom resources, as the seed writes them (t9k/examples deployments/tensorizer, T9k user manuals 2024-08):
// MLServiceRuntime and MLService in tensorstack.dev/v1beta1, GenericJob in batch.tensorstack.dev/v1beta1.
namespace AppHost.Publishing.T9k;

/// <summary><c>MLServiceRuntime</c> spec: a pod template (Knative revision template) whose <c>user-container</c> serves the model.</summary>
public sealed record MLServiceRuntimeSpec(bool Enabled, V1PodTemplateSpec Template);

/// <summary><c>MLService</c> spec: named releases, one of them the default.</summary>
public sealed record MLServiceSpec(string Default, IReadOnlyList<Release> Releases);

public sealed record Release(string Name, Predictor Predictor);

/// <summary>A release's predictor: replicas, the runtime, the model's storage and resource overrides per container.</summary>
public sealed record Predictor(int MinReplicas, RuntimeReference Model, Storage Storage, IReadOnlyList<ContainerResources> ContainersResources);

public sealed record RuntimeReference(string Runtime);

public sealed record Storage(PvcStorage Pvc);

/// <summary>A PVC mounted at <see cref="MountPath"/> (T9k's default <c>/var/lib/t9k/model</c>), from <see cref="SubPath"/> in the claim.</summary>
public sealed record PvcStorage(string Name, string SubPath, string MountPath);

public sealed record ContainerResources(string Name, V1ResourceRequirements Resources);

/// <summary><c>GenericJob</c> spec: replicas by type, and which replicas decide success or failure.</summary>
public sealed record GenericJobSpec(
    IReadOnlyList<IReadOnlyDictionary<string, int[]>> SuccessRules,
    IReadOnlyList<IReadOnlyDictionary<string, int[]>> FailureRules,
    IReadOnlyList<ReplicaSpec> ReplicaSpecs);

public sealed record ReplicaSpec(string Type, int Replicas, ReplicaRestartPolicy RestartPolicy, V1PodTemplateSpec Template);

/// <summary>T9k restarts a failed replica up to <see cref="Limit"/> times under <see cref="Policy"/> (e.g. OnFailure).</summary>
public sealed record ReplicaRestartPolicy(string Policy, int Limit);
