namespace Tensorizer.Configuration;

/// <summary>
/// The settings the programs read from their environment (or any configuration source), named once: the inference
/// service's, KServe's <c>STORAGE_URI</c> and where KServe mounts it, and the converter's. The service binds its
/// options with these names, the AppHost sets them locally and writes them into the cluster manifests, and the tests
/// and benchmarks start the service with them.
/// </summary>
public static class SettingNames
{
    /// <summary>The name clients address the model by (<c>{name}</c> in every protocol's paths).</summary>
    public const string ModelName = "MODEL_NAME";

    /// <summary>
    /// The model to serve: a folder, <c>s3://bucket/prefix/</c>, <c>http(s)://host/path/</c>, <c>hf://org/name[@revision]</c>,
    /// <c>modelscope://org/name[@revision]</c> (with <c>model.tensors</c> or safetensors), or <c>builtin://tiny-gptj</c>.
    /// </summary>
    public const string ModelPath = "MODEL_PATH";

    /// <summary>KServe's model location; its storage initializer puts the model at <see cref="KServeModelMount"/>.</summary>
    public const string StorageUri = "STORAGE_URI";

    /// <summary>Where KServe mounts <c>storageUri</c> in the serving container, the model folder when only <see cref="StorageUri"/> is set.</summary>
    public const string KServeModelMount = "/mnt/models";

    /// <summary>The weights elsewhere than the model folder (<c>model.tensors</c>, <c>*.safetensors</c> or a shard index): a path, <c>http(s)://</c> or <c>s3://</c>.</summary>
    public const string ModelTensors = "MODEL_TENSORS";

    public const string Device = "DEVICE";

    /// <summary>The service's compute dtype, and the converter's target dtype (see <see cref="Format.DtypeNames"/>).</summary>
    public const string Dtype = "DTYPE";

    public const string LoadReaders = "LOAD_READERS";

    public const string VerifyHashes = "VERIFY_HASHES";

    public const string ExitOnLoadFailure = "EXIT_ON_LOAD_FAILURE";

    public const string RequireCompleteModel = "REQUIRE_COMPLETE_MODEL";

    public const string MaxBatchSize = "MAX_BATCH_SIZE";

    public const string QueueCapacity = "QUEUE_CAPACITY";

    /// <summary>Tokens one engine step may process: every running sequence's next token plus prompt chunks.</summary>
    public const string MaxBatchedTokens = "MAX_BATCHED_TOKENS";

    /// <summary>The KV cache's size in tokens, shared by every running sequence (preallocated at load).</summary>
    public const string KvCacheTokens = "KV_CACHE_TOKENS";

    /// <summary>Without <see cref="KvCacheTokens"/>: the fraction of the process's available memory the KV cache may take.</summary>
    public const string KvCacheMemoryFraction = "KV_CACHE_MEMORY_FRACTION";

    /// <summary>The raw 32-byte key of an encrypted <c>model.tensors</c> (the service and <c>verify</c> decrypt with it).</summary>
    public const string KeyFile = Crypto.DecryptionKey.KeyFileVariable;

    /// <summary>A passphrase file instead of <see cref="KeyFile"/>.</summary>
    public const string PassphraseFile = Crypto.DecryptionKey.PassphraseFileVariable;

    /// <summary>The converter's checkpoint (<c>convert --source</c>).</summary>
    public const string Source = "SOURCE";

    /// <summary>The converter's output (<c>convert --output</c>).</summary>
    public const string Output = "OUTPUT";

    /// <summary>The key file the converter encrypts with (<c>convert --encrypt-key-file</c>).</summary>
    public const string EncryptKeyFile = "ENCRYPT_KEY_FILE";

    /// <summary>The passphrase file the converter encrypts with (<c>convert --encrypt-passphrase-file</c>).</summary>
    public const string EncryptPassphraseFile = "ENCRYPT_PASSPHRASE_FILE";
}
