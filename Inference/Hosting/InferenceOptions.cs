using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Models.TinyModel;
using Tensorizer.Configuration;
using Tensorizer.Crypto;
using Tensorizer.Format;

namespace Inference.Hosting;

/// <summary>
/// The service's settings, read the KServe way from environment variables (or any configuration source) under the
/// names of <see cref="SettingNames"/>: <c>MODEL_NAME</c>, <c>MODEL_PATH</c> or <c>STORAGE_URI</c>,
/// <c>MODEL_TENSORS</c>, <c>DEVICE</c>, <c>DTYPE</c>, … Bound and validated when the host starts
/// (<see cref="AddInferenceOptions"/>): a value that does not parse, is out of range or names no model stops the
/// process at once with the setting's name, before anything loads.
/// </summary>
public sealed partial class InferenceOptions
{
    [ConfigurationKeyName(SettingNames.ModelName)]
    public string ModelName { get; set; } = "gptj";

    /// <summary>
    /// The model: a folder, <c>s3://bucket/prefix/</c>, an <c>http(s)://</c> base URL, <c>hf://org/name[@revision]</c> or
    /// <c>modelscope://org/name[@revision]</c> (small files fetched, the weights streamed from where they are), holding
    /// <c>model.tensors</c> or safetensors (one file or shards with their index); or <see cref="TinyGptj.Location"/>
    /// (the embedded tiny GPT-J, built into a temporary folder at start).
    /// </summary>
    [ConfigurationKeyName(SettingNames.ModelPath)]
    public string? ModelPath { get; set; }

    /// <summary>KServe's model location: with no <see cref="ModelPath"/>, the model is at <see cref="SettingNames.KServeModelMount"/>.</summary>
    [ConfigurationKeyName(SettingNames.StorageUri)]
    public string? StorageUri { get; set; }

    /// <summary>The weights elsewhere than the folder (<c>model.tensors</c>, a <c>.safetensors</c> file or a shard index): a path, http(s):// or s3:// location.</summary>
    [ConfigurationKeyName(SettingNames.ModelTensors)]
    public string? TensorsLocation { get; set; }

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    [ConfigurationKeyName(SettingNames.Device)]
    public string Device { get; set; } = "cpu";

    /// <summary>The compute dtype, any name <see cref="DtypeNames"/> knows.</summary>
    [ConfigurationKeyName(SettingNames.Dtype)]
    public string Dtype { get; set; } = "float32";

    [ConfigurationKeyName(SettingNames.LoadReaders)]
    public int LoadReaders { get; set; } = 8;

    [ConfigurationKeyName(SettingNames.VerifyHashes)]
    public bool VerifyHashes { get; set; }

    /// <summary>Exit non-zero when loading fails, so Kubernetes restarts the pod (off: stay up, report it on health).</summary>
    [ConfigurationKeyName(SettingNames.ExitOnLoadFailure)]
    public bool ExitOnLoadFailure { get; set; } = true;

    /// <summary>
    /// Refuse a model folder without the converter's completion marker (<c>.tensorizer-complete.json</c>) instead of
    /// loading it with a warning; the embedded model needs none.
    /// </summary>
    [ConfigurationKeyName(SettingNames.RequireCompleteModel)]
    public bool RequireCompleteModel { get; set; }

    /// <summary>Sequences the engine runs at once (continuous batching: they join and leave between steps).</summary>
    [ConfigurationKeyName(SettingNames.MaxBatchSize)]
    public int MaxBatchSize { get; set; } = 8;

    /// <summary>
    /// Tokens per engine step: one per decoding sequence, the rest for prompt chunks (chunked prefill), so a long
    /// prompt is prefilled over several steps while the others keep decoding.
    /// </summary>
    [ConfigurationKeyName(SettingNames.MaxBatchedTokens)]
    public int MaxBatchedTokens { get; set; } = 256;

    /// <summary>
    /// The KV cache in tokens, preallocated at load and shared by the running sequences (each reserves its prompt
    /// plus max_tokens when it starts); unset: <see cref="MaxBatchSize"/> full contexts, at most
    /// <see cref="KvCacheMemoryFraction"/> of the available memory.
    /// </summary>
    [ConfigurationKeyName(SettingNames.KvCacheTokens)]
    public int? KvCacheTokens { get; set; }

    /// <summary>Without <see cref="KvCacheTokens"/>: the most of the process's available memory the KV cache takes.</summary>
    [ConfigurationKeyName(SettingNames.KvCacheMemoryFraction)]
    public double KvCacheMemoryFraction { get; set; } = 0.25;

    /// <summary>Requests waiting beyond this are refused with 503 and <c>Retry-After</c> instead of queueing without bound.</summary>
    [ConfigurationKeyName(SettingNames.QueueCapacity)]
    public int QueueCapacity { get; set; } = 64;

    /// <summary>The raw 32-byte key of an encrypted <c>model.tensors</c> (a mounted Secret); checked at start.</summary>
    [ConfigurationKeyName(SettingNames.KeyFile)]
    public string? KeyFile { get; set; }

    /// <summary>A passphrase file instead of <see cref="KeyFile"/> (Argon2id); checked at start.</summary>
    [ConfigurationKeyName(SettingNames.PassphraseFile)]
    public string? PassphraseFile { get; set; }

    /// <summary>What to load: <see cref="ModelPath"/>, else KServe's mount when <see cref="StorageUri"/> is set; null when neither is.</summary>
    public string? ModelLocation =>
        !string.IsNullOrEmpty(ModelPath) ? ModelPath : !string.IsNullOrEmpty(StorageUri) ? SettingNames.KServeModelMount : null;

    /// <summary>Whether the model is the embedded tiny GPT-J.</summary>
    public bool IsBuiltinModel => string.Equals(ModelLocation?.TrimEnd('/'), TinyGptj.Location, StringComparison.Ordinal);

    /// <summary>The compute dtype (valid once the options are: validation parses it first).</summary>
    public TensorElementType ComputeDtype => DtypeNames.Parse(Dtype, SettingNames.Dtype);

    /// <summary>The key named by <see cref="KeyFile"/> or <see cref="PassphraseFile"/>, read now; null when neither is set.</summary>
    public DecryptionKey? ReadDecryptionKey() => DecryptionKey.FromFiles(KeyFile, PassphraseFile);

    /// <summary>
    /// Binds the options from <paramref name="configuration"/> and validates them when the host starts. With no
    /// model setting, <c>Development</c> serves the embedded tiny GPT-J; any other environment refuses to start.
    /// </summary>
    public static OptionsBuilder<InferenceOptions> AddInferenceOptions(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton<IValidateOptions<InferenceOptions>, Validator>();
        return services.AddOptions<InferenceOptions>()
            .Configure(options =>
            {
                try
                {
                    configuration.Bind(options);
                }
                catch (InvalidOperationException e)
                {
                    // A value that does not parse (MAX_BATCH_SIZE=many): the binder's message names the setting.
                    throw new OptionsValidationException(Options.DefaultName, typeof(InferenceOptions), [e.Message]);
                }
            })
            .PostConfigure<IHostEnvironment>((options, environment) =>
            {
                if (options.ModelLocation is null && environment.IsDevelopment())
                {
                    options.ModelPath = TinyGptj.Location;
                }
            })
            .ValidateOnStart();
    }

    /// <summary>Every setting's range, each failure naming its setting.</summary>
    private sealed partial class Validator : IValidateOptions<InferenceOptions>
    {
        public ValidateOptionsResult Validate(string? name, InferenceOptions options)
        {
            var failures = new List<string>();
            if (options.ModelLocation is null)
            {
                failures.Add(
                    $"No model to serve: set {SettingNames.ModelPath} (a model folder, s3://bucket/prefix/, http(s)://host/path/, hf://org/name[@revision], modelscope://org/name[@revision], or {TinyGptj.Location} for the embedded tiny GPT-J) " +
                    $"or {SettingNames.StorageUri} (KServe mounts it at {SettingNames.KServeModelMount}). Only in Development (ASPNETCORE_ENVIRONMENT=Development) " +
                    "is the embedded model served without one.");
            }

            if (options.ModelLocation is { } location && !options.IsBuiltinModel && ModelLocations.Refusal(location) is { } refusal)
            {
                failures.Add($"{SettingNames.ModelPath}: {refusal}");
            }

            if (string.IsNullOrWhiteSpace(options.ModelName) || options.ModelName.Contains('/', StringComparison.Ordinal))
            {
                failures.Add($"{SettingNames.ModelName} '{options.ModelName}' must be a non-empty name without '/'.");
            }

            if (!DevicePattern().IsMatch(options.Device))
            {
                failures.Add($"{SettingNames.Device} '{options.Device}' is not cpu, cuda or cuda:N.");
            }

            if (!DtypeNames.TryParse(options.Dtype, out _))
            {
                failures.Add(DtypeNames.Refusal(options.Dtype, SettingNames.Dtype, DtypeNames.Floating));
            }

            foreach (var (setting, value) in new[]
            {
                (SettingNames.LoadReaders, options.LoadReaders), (SettingNames.MaxBatchSize, options.MaxBatchSize), (SettingNames.QueueCapacity, options.QueueCapacity),
                (SettingNames.MaxBatchedTokens, options.MaxBatchedTokens), (SettingNames.KvCacheTokens, options.KvCacheTokens ?? 1),
            })
            {
                if (value < 1)
                {
                    failures.Add($"{setting} is {value}; it must be at least 1.");
                }
            }

            if (!(options.KvCacheMemoryFraction is > 0 and <= 1))
            {
                failures.Add($"{SettingNames.KvCacheMemoryFraction} is {options.KvCacheMemoryFraction}; it must be above 0 and at most 1.");
            }

            try
            {
                options.ReadDecryptionKey();
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
            {
                failures.Add($"{SettingNames.KeyFile} / {SettingNames.PassphraseFile}: {e.Message}");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }

        [GeneratedRegex("^(cpu|cuda(:[0-9]+)?)$")]
        private static partial Regex DevicePattern();
    }
}
