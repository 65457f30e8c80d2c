using k8s.Models;

namespace AppHost.Publishing;

/// <summary>
/// <c>--source-secret NAME</c>: a Secret whose keys become environment variables of whichever pod fetches the checkpoint,
/// so a gated or private source needs no token in a manifest: <c>HF_TOKEN</c>, <c>MODELSCOPE_API_TOKEN</c>,
/// <c>AWS_ACCESS_KEY_ID</c>, <c>AWS_SECRET_ACCESS_KEY</c>, <c>AWS_ENDPOINT_URL</c>… (<c>kubectl create secret generic NAME
/// --from-literal=HF_TOKEN=…</c>). The converter gets it on the seed's path; the service gets it when it streams the
/// checkpoint itself (the direct path from S3, HTTP or a hub). Without the option, nothing.
/// </summary>
internal static class SourceSecret
{
    /// <summary>The converter's variables from the Secret, or null without one.</summary>
    public static List<V1EnvFromSource>? ForConverter(DeploymentOptions options) => From(options.SourceSecret);

    /// <summary>The service's variables from the Secret when it fetches the checkpoint itself, else null.</summary>
    public static List<V1EnvFromSource>? ForService(DeploymentOptions options) => options.StreamsCheckpoint ? From(options.SourceSecret) : null;

    private static List<V1EnvFromSource>? From(string? secret) =>
        secret is null ? null : [new V1EnvFromSource { SecretRef = new V1SecretEnvSource { Name = secret } }];
}
