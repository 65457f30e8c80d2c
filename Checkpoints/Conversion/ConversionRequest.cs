using Checkpoints.Sources;
using Tensorizer.Crypto;

namespace Checkpoints.Conversion;

/// <summary>
/// One conversion: a checkpoint location to a model folder (the seed's PVC layout) or an S3 prefix.
/// Sources: a folder, <c>hf://org/name[@revision]</c>, <c>modelscope://org/name[@revision]</c>,
/// <c>s3://bucket/prefix/</c> or <c>builtin://tiny-gptj</c>. Outputs: a folder or <c>s3://bucket/prefix/</c>.
/// </summary>
public sealed record ConversionRequest
{
    public required string Source { get; init; }

    public required string Output { get; init; }

    /// <summary><c>float16</c> (the seed's <c>torch_dtype</c>), <c>bfloat16</c>, <c>float32</c> or <c>keep</c>; floating tensors only.</summary>
    public string Dtype { get; init; } = "float16";

    /// <summary>Convert even when the output is already complete for this source revision.</summary>
    public bool Force { get; init; }

    /// <summary>Glob patterns (<c>*</c>, <c>?</c>, <c>**</c>) of source files to fetch; empty means the files a model needs.</summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>Glob patterns of source files never to fetch.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Where remote files are downloaded (and resumed from after a restart); default: beside a folder output, or a temp folder.</summary>
    public string? DownloadFolder { get; init; }

    /// <summary>Keep the downloaded checkpoint after a successful conversion.</summary>
    public bool KeepDownloads { get; init; }

    /// <summary>Create the output's S3 bucket when it does not exist (local S3 emulators start empty).</summary>
    public bool CreateBucket { get; init; }

    /// <summary>
    /// Encrypt <c>model.tensors</c> as upstream tensorizer does (what vLLM's <c>encryption_keyfile</c> and
    /// <c>TENSORIZER_KEY_FILE</c> decrypt); null writes it plain. Config and tokenizer files stay plain.
    /// </summary>
    public TensorEncryption? Encryption { get; init; }

    /// <summary>Tokens, endpoints and parallelism for the hubs and S3.</summary>
    public SourceSettings Settings { get; init; } = SourceSettings.FromEnvironment();
}
