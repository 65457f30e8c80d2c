using k8s.Models;

namespace AppHost.Publishing;

/// <summary>
/// A resource of a kind KubernetesClient has no model for (KServe's, T9k's): the usual envelope around a typed spec.
/// Serialized by <c>KubernetesYaml</c> like the built-in models: camelCase names, nulls left out.
/// </summary>
public sealed record CustomResource<TSpec>(string ApiVersion, string Kind, V1ObjectMeta Metadata, TSpec Spec);
