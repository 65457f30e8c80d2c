using Tensorizer.Sources.S3;

namespace Checkpoints.Sources;

/// <summary>How to reach the hubs and S3: tokens, endpoint overrides (mirrors), parallelism and retries.</summary>
public sealed record SourceSettings
{
    public static readonly Uri DefaultHuggingFaceEndpoint = new("https://huggingface.co");
    public static readonly Uri DefaultModelScopeEndpoint = new("https://www.modelscope.cn");

    /// <summary>Hugging Face token (<c>HF_TOKEN</c>), sent as a bearer token.</summary>
    public string? HuggingFaceToken { get; init; }

    /// <summary>Hugging Face endpoint (<c>HF_ENDPOINT</c>), e.g. a mirror.</summary>
    public Uri HuggingFaceEndpoint { get; init; } = DefaultHuggingFaceEndpoint;

    /// <summary>ModelScope token (<c>MODELSCOPE_API_TOKEN</c>).</summary>
    public string? ModelScopeToken { get; init; }

    /// <summary>ModelScope endpoint (<c>MODELSCOPE_ENDPOINT</c>, or <c>MODELSCOPE_DOMAIN</c> as the ModelScope SDK names it).</summary>
    public Uri ModelScopeEndpoint { get; init; } = DefaultModelScopeEndpoint;

    /// <summary>S3 settings; null reads them from the environment (the variables KServe sets).</summary>
    public S3Settings? S3 { get; init; }

    /// <summary>Files downloaded at once.</summary>
    public int ParallelDownloads { get; init; } = 4;

    /// <summary>
    /// Files of at least two chunks are fetched as chunks of this size over <see cref="ConnectionsPerFile"/> ranged
    /// requests at once: one connection to a CDN rarely fills the link, and GPT-J is one 12-24 GB file.
    /// </summary>
    public long ChunkSize { get; init; } = 64L << 20;

    /// <summary>Ranged requests in flight per chunked file.</summary>
    public int ConnectionsPerFile { get; init; } = 4;

    /// <summary>Attempts per file (per chunk for chunked files); each resumes where the last one stopped.</summary>
    public int Attempts { get; init; } = 5;

    /// <summary>How long a download may wait for its next bytes (or its response) before it counts as stalled and resumes.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public static SourceSettings FromEnvironment(Func<string, string?>? getenv = null)
    {
        getenv ??= Environment.GetEnvironmentVariable;
        var modelScope = getenv("MODELSCOPE_ENDPOINT") ?? getenv("MODELSCOPE_DOMAIN");
        return new SourceSettings
        {
            HuggingFaceToken = NullIfEmpty(getenv("HF_TOKEN")),
            HuggingFaceEndpoint = NullIfEmpty(getenv("HF_ENDPOINT")) is { } hf ? new Uri(hf) : DefaultHuggingFaceEndpoint,
            ModelScopeToken = NullIfEmpty(getenv("MODELSCOPE_API_TOKEN")),
            ModelScopeEndpoint = NullIfEmpty(modelScope) is { } ms ? new Uri(ms.Contains("://", StringComparison.Ordinal) ? ms : "https://" + ms) : DefaultModelScopeEndpoint,
        };
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
