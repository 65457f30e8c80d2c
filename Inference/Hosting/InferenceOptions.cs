namespace Inference.Hosting;

/// <summary>
/// The service's settings, read the KServe way from environment variables (or any configuration source):
/// <c>MODEL_NAME</c>, <c>MODEL_PATH</c> or <c>STORAGE_URI</c>, <c>MODEL_TENSORS</c>, <c>DEVICE</c>, <c>DTYPE</c>, …
/// </summary>
public sealed record InferenceOptions
{
    /// <summary>Where KServe's storage initializer puts a model named by <c>STORAGE_URI</c>.</summary>
    public const string KServeModelMount = "/mnt/models";

    public string ModelName { get; init; } = "gptj";

    /// <summary>
    /// The model folder, or <c>s3://bucket/prefix/</c> (small files fetched, <c>model.tensors</c> streamed from S3); null
    /// serves the embedded tiny GPT-J (built into a temporary folder at start).
    /// </summary>
    public string? ModelPath { get; init; }

    /// <summary><c>model.tensors</c> elsewhere than the folder: a path, http(s):// or s3:// location.</summary>
    public string? TensorsLocation { get; init; }

    public string Device { get; init; } = "cpu";

    public string Dtype { get; init; } = "float32";

    public int LoadReaders { get; init; } = 8;

    public bool VerifyHashes { get; init; }

    /// <summary>Exit non-zero when loading fails, so Kubernetes restarts the pod (off: stay up, report it on health).</summary>
    public bool ExitOnLoadFailure { get; init; } = true;

    /// <summary>
    /// Refuse a model folder without the converter's completion marker (<c>.tensorizer-complete.json</c>) instead of
    /// loading it with a warning; the embedded model needs none.
    /// </summary>
    public bool RequireCompleteModel { get; init; }

    public int MaxBatchSize { get; init; } = 8;

    /// <summary>Requests waiting beyond this are refused with 503 instead of queueing without bound.</summary>
    public int QueueCapacity { get; init; } = 64;

    /// <summary>
    /// The key of an encrypted <c>model.tensors</c>, read at start from <c>TENSORIZER_KEY_FILE</c> (32 raw bytes) or
    /// <c>TENSORIZER_PASSPHRASE_FILE</c> (a mounted Secret), so a missing or malformed key file stops the start.
    /// </summary>
    public Tensorizer.Crypto.DecryptionKey? Decryption { get; init; }

    public static InferenceOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var defaults = new InferenceOptions();
        var storageUri = configuration["STORAGE_URI"];
        return new InferenceOptions
        {
            ModelName = configuration["MODEL_NAME"] ?? defaults.ModelName,
            ModelPath = configuration["MODEL_PATH"] ?? (string.IsNullOrEmpty(storageUri) ? null : KServeModelMount),
            TensorsLocation = configuration["MODEL_TENSORS"],
            Device = configuration["DEVICE"] ?? defaults.Device,
            Dtype = configuration["DTYPE"] ?? defaults.Dtype,
            LoadReaders = configuration.GetValue("LOAD_READERS", defaults.LoadReaders),
            VerifyHashes = configuration.GetValue("VERIFY_HASHES", defaults.VerifyHashes),
            ExitOnLoadFailure = configuration.GetValue("EXIT_ON_LOAD_FAILURE", defaults.ExitOnLoadFailure),
            RequireCompleteModel = configuration.GetValue("REQUIRE_COMPLETE_MODEL", defaults.RequireCompleteModel),
            MaxBatchSize = configuration.GetValue("MAX_BATCH_SIZE", defaults.MaxBatchSize),
            QueueCapacity = configuration.GetValue("QUEUE_CAPACITY", defaults.QueueCapacity),
            Decryption = Tensorizer.Crypto.DecryptionKey.FromFiles(
                configuration[Tensorizer.Crypto.DecryptionKey.KeyFileVariable], configuration[Tensorizer.Crypto.DecryptionKey.PassphraseFileVariable]),
        };
    }
}
