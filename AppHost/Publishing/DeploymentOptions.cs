using System.Text.RegularExpressions;

namespace AppHost.Publishing;

/// <summary>The platform whose serving resources the manifests use.</summary>
public enum Platform
{
    /// <summary>KServe: ServingRuntime + InferenceService, and a batch/v1 Job for the converter.</summary>
    KServe,

    /// <summary>T9k, the seed's own platform: MLServiceRuntime + MLService, and a GenericJob for the converter.</summary>
    T9k,
}

/// <summary>
/// Everything the cluster manifests depend on. The defaults reproduce the seed (t9k/examples' tensorizer example): PVC
/// <c>tensorizer</c> (50Gi, ReadWriteMany), job <c>model-download</c> (2 CPU, 40Gi, GPT-J-6B from ModelScope in fp16),
/// runtime <c>tensorizer-kserve</c>, service <c>tensorizer-gptj</c> serving model <c>gptj</c> on one GPU (2 CPU, 64Gi).
/// </summary>
public sealed partial record DeploymentOptions
{
    public Platform Platform { get; init; } = Platform.KServe;

    /// <summary>Needed even for a single-namespace install: the console's RoleBinding names its ServiceAccount by namespace.</summary>
    public string Namespace { get; init; } = "default";

    /// <summary>The model's name in the serving API (<c>/v1/models/{name}:predict</c>) and its folder on the volume.</summary>
    public string ModelName { get; init; } = "gptj";

    public string ServiceName { get; init; } = "tensorizer-gptj";

    public string RuntimeName { get; init; } = "tensorizer-kserve";

    public string JobName { get; init; } = "model-download";

    public string PvcName { get; init; } = "tensorizer";

    public string PvcSize { get; init; } = "50Gi";

    public string AccessMode { get; init; } = "ReadWriteMany";

    /// <summary>Null: the cluster's default storage class (as the seed).</summary>
    public string? StorageClass { get; init; }

    /// <summary>The images' repository prefix, as the projects name them (<c>ContainerRepository</c>, build/Containers.targets).</summary>
    public const string ImageRepository = "tensorizer-dotnet";

    /// <summary>The product's version (<c>Version</c> in Directory.Build.props), which <c>build/images.sh</c> tags the images with by default.</summary>
    public const string DefaultTag = "0.1.0";

    /// <summary>
    /// Where <c>build/images.sh --registry</c> pushed the images (<c>registry.example:5000</c>, <c>ghcr.io/org</c>); null: none,
    /// the images are named <c>tensorizer-dotnet/NAME:TAG</c>, as an archive loaded into a node's runtime names them.
    /// </summary>
    public string? Registry { get; init; }

    /// <summary>The images' tag, as <c>build/images.sh --tag</c> built them.</summary>
    public string Tag { get; init; } = DefaultTag;

    /// <summary><c>REGISTRY/tensorizer-dotnet/inference:TAG</c> unless set (<c>--inference-image</c>).</summary>
    public string InferenceImage { get => _inferenceImage ?? ImageName("inference"); init => _inferenceImage = value; }

    /// <summary><c>REGISTRY/tensorizer-dotnet/downloader:TAG</c> unless set (<c>--downloader-image</c>).</summary>
    public string DownloaderImage { get => _downloaderImage ?? ImageName("downloader"); init => _downloaderImage = value; }

    /// <summary><c>REGISTRY/tensorizer-dotnet/console:TAG</c> unless set (<c>--console-image</c>).</summary>
    public string ConsoleImage { get => _consoleImage ?? ImageName("console"); init => _consoleImage = value; }

    private readonly string? _inferenceImage;
    private readonly string? _downloaderImage;
    private readonly string? _consoleImage;

    /// <summary>The name <c>build/images.sh</c> gives an image for this registry and tag.</summary>
    public string ImageName(string name) =>
        $"{(string.IsNullOrEmpty(Registry) ? "" : Registry.TrimEnd('/') + "/")}{ImageRepository}/{name}:{Tag}";

    /// <summary>The checkpoint the converter fetches: the seed's ModelScope GPT-J-6B.</summary>
    public string Source { get; init; } = "modelscope://AI-ModelScope/gpt-j-6b";

    public string Dtype { get; init; } = "float16";

    public string ConverterCpu { get; init; } = "2";

    public string ConverterMemory { get; init; } = "40Gi";

    public string InferenceCpu { get; init; } = "2";

    public string InferenceMemory { get; init; } = "64Gi";

    public int Gpus { get; init; } = 1;

    /// <summary>KServe predictor protocol: v1 (the seed's <c>:predict</c>) or v2.</summary>
    public string Protocol { get; init; } = "v1";

    public int MinReplicas { get; init; } = 1;

    /// <summary>
    /// Requests one pod takes at once. The seed's server handled one at a time (CoreWeave's ISVC says 1); ours batches up
    /// to <c>MAX_BATCH_SIZE</c> (8) per step, so 8 keeps a batch full without queueing past it.
    /// </summary>
    public int ContainerConcurrency { get; init; } = 8;

    /// <summary>Seconds the startup probe allows for the load: 10 s × 60 probes covers a cold 12 GB read from a slow volume.</summary>
    public int StartupSeconds { get; init; } = 600;

    /// <summary>The model's folder inside the volume: the PVC root holds one folder per model.</summary>
    public string ModelDirectory => ModelName;

    /// <summary>
    /// The direct path: the checkpoint the service loads as it is, with no converter Job (<c>pvc://claim/folder</c>,
    /// <c>s3://bucket/prefix/</c>, <c>http(s)://…</c>, <c>hf://org/name[@revision]</c>, <c>modelscope://…</c>), holding
    /// safetensors or <c>model.tensors</c>; null: the seed's path, converted onto the volume.
    /// </summary>
    public string? CheckpointUri { get; init; }

    /// <summary>Whether the service reads a checkpoint directly (<see cref="CheckpointUri"/>) rather than the converter's output.</summary>
    public bool Direct => CheckpointUri is not null;

    /// <summary>
    /// A checkpoint on a volume is mounted (<c>storageUri</c>, no copy); one in S3, behind HTTP or on a hub is streamed by
    /// the service itself (<c>MODEL_PATH</c>): as KServe's <c>storageUri</c> its storage initializer would copy every byte to the pod first.
    /// </summary>
    public bool StreamsCheckpoint => CheckpointUri is { } uri && !uri.StartsWith("pvc://", StringComparison.Ordinal);

    /// <summary>Where KServe finds the model: the converter's folder on the volume, or the direct path's <c>pvc://</c> checkpoint; null when the service streams it.</summary>
    public string? StorageUri => StreamsCheckpoint ? null : CheckpointUri ?? $"pvc://{PvcName}/{ModelDirectory}";

    /// <summary>The service's <c>MODEL_PATH</c>: the platform's mount, or the checkpoint it streams.</summary>
    public string ModelPathFor(string mount) => StreamsCheckpoint ? CheckpointUri! : mount;

    /// <summary>The claim and folder the model is mounted from (the direct path's <c>pvc://claim/folder</c>, else the model volume).</summary>
    public (string Claim, string Folder) ModelVolume => CheckpointUri is { } uri && uri.StartsWith("pvc://", StringComparison.Ordinal)
        ? (uri["pvc://".Length..].Split('/', 2)[0], uri["pvc://".Length..].Split('/', 2) is [_, var folder] ? folder.TrimEnd('/') : "")
        : (PvcName, ModelDirectory);

    public string ConsoleName { get; init; } = "tensorizer-console";

    /// <summary>A Secret holding the model's raw key under <c>key</c>, mounted for the service and the converter; null: plain models.</summary>
    public string? EncryptionSecret { get; init; }

    /// <summary>A Secret whose keys are the source's credentials (HF_TOKEN, AWS_…), as variables of the pod that fetches it; null: none (see <see cref="Publishing.SourceSecret"/>).</summary>
    public string? SourceSecret { get; init; }

    /// <summary>Every problem with the options, in one message per problem; empty when they can be published.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        foreach (var (option, value) in new[]
        {
            ("--namespace", Namespace), ("--model-name", ModelName), ("--service-name", ServiceName), ("--runtime-name", RuntimeName),
            ("--job-name", JobName), ("--pvc", PvcName), ("--console-name", ConsoleName),
        })
        {
            if (!DnsLabel().IsMatch(value))
            {
                problems.Add($"{option} '{value}' is not a Kubernetes name (lower-case letters, digits and '-', at most 63, starting and ending alphanumeric).");
            }
        }

        foreach (var (option, value) in new[]
        {
            ("--pvc-size", PvcSize), ("--converter-cpu", ConverterCpu), ("--converter-memory", ConverterMemory),
            ("--inference-cpu", InferenceCpu), ("--inference-memory", InferenceMemory),
        })
        {
            if (!Quantity().IsMatch(value))
            {
                problems.Add($"{option} '{value}' is not a Kubernetes quantity (e.g. 2, 500m, 40Gi).");
            }
        }

        foreach (var (option, value) in new[] { ("--inference-image", InferenceImage), ("--downloader-image", DownloaderImage), ("--console-image", ConsoleImage) })
        {
            if (string.IsNullOrWhiteSpace(value) || value.Any(char.IsWhiteSpace))
            {
                problems.Add($"{option} '{value}' is not an image reference.");
            }
        }

        if (Registry is { } registry && !RegistryName().IsMatch(registry.TrimEnd('/')))
        {
            problems.Add($"--registry '{registry}' is not a registry host with an optional port and path (e.g. registry.example:5000/team), without a scheme.");
        }

        if (!TagName().IsMatch(Tag))
        {
            problems.Add($"--tag '{Tag}' is not an image tag (letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-').");
        }

        if (AccessMode is not ("ReadWriteOnce" or "ReadWriteMany" or "ReadOnlyMany" or "ReadWriteOncePod"))
        {
            problems.Add($"--access-mode '{AccessMode}' is not one of ReadWriteOnce, ReadWriteMany, ReadOnlyMany, ReadWriteOncePod.");
        }

        if (StorageClass is { } storageClass && !DnsSubdomain().IsMatch(storageClass))
        {
            problems.Add($"--storage-class '{storageClass}' is not a Kubernetes name.");
        }

        if (EncryptionSecret is { } secret && !DnsSubdomain().IsMatch(secret))
        {
            problems.Add($"--encryption-secret '{secret}' is not a Kubernetes name.");
        }

        if (SourceSecret is { } sourceSecret && !DnsSubdomain().IsMatch(sourceSecret))
        {
            problems.Add($"--source-secret '{sourceSecret}' is not a Kubernetes name.");
        }

        if (CheckpointUri is { } checkpoint && !CheckpointPattern().IsMatch(checkpoint))
        {
            problems.Add($"--checkpoint '{checkpoint}' is not pvc://claim/folder, s3://bucket/prefix/, http(s)://…, hf://org/name[@revision] or modelscope://org/name[@revision].");
        }

        if (Protocol is not ("v1" or "v2"))
        {
            problems.Add($"--protocol '{Protocol}' is not v1 or v2.");
        }

        if (!Tensorizer.Format.DtypeNames.TryParseConversion(Dtype, out _))
        {
            problems.Add(Tensorizer.Format.DtypeNames.Refusal(Dtype, "--dtype", Tensorizer.Format.DtypeNames.ConversionChoices));
        }

        if (string.IsNullOrWhiteSpace(Source))
        {
            problems.Add("--source must name a checkpoint (e.g. modelscope://AI-ModelScope/gpt-j-6b).");
        }

        foreach (var (option, value, least) in new[] { ("--gpus", Gpus, 0), ("--min-replicas", MinReplicas, 0), ("--container-concurrency", ContainerConcurrency, 0), ("--startup-seconds", StartupSeconds, 10) })
        {
            if (value < least)
            {
                problems.Add($"{option} {value} is less than {least}.");
            }
        }

        return problems;
    }

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagName();

    /// <summary>A host (name or IPv4), an optional port, an optional path of lower-case components (the distribution spec's grammar, simplified).</summary>
    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*$")]
    private static partial Regex RegistryName();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^(pvc://[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?(/[^\s]*)?|(s3|https?|hf|modelscope)://[^\s/][^\s]*)$")]
    private static partial Regex CheckpointPattern();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")]
    private static partial Regex DnsSubdomain();

    [GeneratedRegex(@"^([0-9]+(\.[0-9]+)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")]
    private static partial Regex Quantity();
}
