namespace AdminConsole.Configuration;

/// <summary>
/// How the console starts converter Jobs in Kubernetes mode, section <c>Converter</c> (the names the AppHost's
/// manifests set): namespace, the Downloader image, the model PVC and where it is mounted, resources, a secret
/// with hub and S3 credentials.
/// </summary>
public sealed record ConverterOptions
{
    public const string Section = "Converter";

    /// <summary>Where the service account's namespace is mounted in a pod.</summary>
    public const string ServiceAccountNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

    public string Namespace { get; init; } = "default";

    /// <summary>The Downloader image, whose entry point takes <c>convert --source … --output … --dtype …</c>.</summary>
    public string Image { get; init; } = "";

    /// <summary>The model store's PersistentVolumeClaim, mounted into the Job (folder stores).</summary>
    public string? Pvc { get; init; }

    /// <summary>Where the PVC is mounted in the Job, and in the console (the console's <c>Console:ModelStore</c>).</summary>
    public string MountPath { get; init; } = "/mnt/models";

    public string? Cpu { get; init; }

    public string? Memory { get; init; }

    /// <summary>A Secret whose keys become the Job's environment (HF_TOKEN, AWS_ACCESS_KEY_ID, …).</summary>
    public string? Secret { get; init; }

    /// <summary>
    /// A Secret holding the raw 32-byte key under <c>key</c>: mounted read-only into the Job, which then writes
    /// encrypted models (<c>ENCRYPT_KEY_FILE</c>) that the service decrypts with the same Secret.
    /// </summary>
    public string? EncryptionSecret { get; init; }

    public int BackoffLimit { get; init; } = 1;

    /// <summary>Finished Jobs are removed by Kubernetes after this long.</summary>
    public int TtlSecondsAfterFinished { get; init; } = 3600;

    /// <summary>How often a running Job's status and log are read.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    public static ConverterOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(Section);
        var defaults = new ConverterOptions();
        return new ConverterOptions
        {
            Namespace = section["Namespace"] is { Length: > 0 } ns ? ns
                : File.Exists(ServiceAccountNamespaceFile) ? File.ReadAllText(ServiceAccountNamespaceFile).Trim() : defaults.Namespace,
            Image = section["Image"] ?? defaults.Image,
            Pvc = section["Pvc"] is { Length: > 0 } pvc ? pvc : null,
            MountPath = section["MountPath"] is { Length: > 0 } mount ? mount : defaults.MountPath,
            Cpu = section["Cpu"] is { Length: > 0 } cpu ? cpu : null,
            Memory = section["Memory"] is { Length: > 0 } memory ? memory : null,
            Secret = section["Secret"] is { Length: > 0 } secret ? secret : null,
            EncryptionSecret = section["EncryptionSecret"] is { Length: > 0 } key ? key : null,
            BackoffLimit = section.GetValue("BackoffLimit", defaults.BackoffLimit),
            TtlSecondsAfterFinished = section.GetValue("TtlSecondsAfterFinished", defaults.TtlSecondsAfterFinished),
            PollInterval = section.GetValue("PollInterval", defaults.PollInterval),
        };
    }
}
