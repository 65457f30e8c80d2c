using Microsoft.Extensions.Configuration;

namespace AppHost;

/// <summary>
/// The local stand-in for the seed's PVC: a folder holding one model folder per model, by default <c>.models/</c> at the
/// repository root (git-ignored). Configuration <c>ModelStore</c> (argument <c>--ModelStore=…</c> or environment
/// <c>ModelStore</c>) moves it, e.g. to a temporary folder in tests; <c>ModelName</c> renames the model.
/// </summary>
public sealed record LocalModelStore(string Root, string ModelName)
{
    /// <summary>The embedded tiny GPT-J: the whole download-and-convert path runs offline.</summary>
    public const string Source = "builtin://tiny-gptj";

    /// <summary>The CPU computes in fp32; the seed's fp16 is for the GPU.</summary>
    public const string Dtype = "float32";

    public string ModelFolder => Path.Combine(Root, ModelName);

    public static LocalModelStore FromConfiguration(IConfiguration configuration, string appHostDirectory)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var root = configuration["ModelStore"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.GetFullPath(Path.Combine(appHostDirectory, "..", ".models"));
        return new LocalModelStore(root, configuration["ModelName"] is { Length: > 0 } name ? name : "gptj");
    }
}
