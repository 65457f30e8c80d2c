using System.CommandLine;
using Tensorizer.Reading;
using Tensorizer.Sources;
using Tensorizer.Sources.Http;

namespace Downloader.Commands;

/// <summary>
/// A location argument with the options to reach it: HTTP bearer token (default <c>HF_TOKEN</c>) and extra headers.
/// S3 is configured from the environment, as KServe does.
/// </summary>
internal sealed class LocationOptions
{
    private readonly Argument<string> _location = new("location")
    {
        Description = "A .tensors file, a .safetensors file or a shard index (model.safetensors.index.json): a path, file://, http(s):// or s3://bucket/key.",
    };
    private readonly Option<string?> _token = new("--bearer-token")
    {
        Description = "HTTP bearer token (default: the HF_TOKEN environment variable).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("HF_TOKEN"),
    };

    private readonly Option<string[]> _headers = new("--header", "-H")
    {
        Description = "Extra HTTP header, 'Name: value' (repeatable).",
        AllowMultipleArgumentsPerToken = false,
    };

    public void AddTo(Command command)
    {
        command.Arguments.Add(_location);
        command.Options.Add(_token);
        command.Options.Add(_headers);
    }

    /// <summary>Whether the location names safetensors (a file or a shard index) rather than a <c>.tensors</c> file.</summary>
    public bool IsSafetensors(ParseResult parse) => TensorCheckpoints.IsSafetensors(parse.GetValue(_location)!);

    public async Task<TensorFile> OpenAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var source = await RangeSources.OpenAsync(parse.GetValue(_location)!, SourceOptionsOf(parse), cancellationToken);
        return await TensorFile.OpenAsync(source, ownsSource: true, cancellationToken);
    }

    /// <summary>A safetensors file, or a shard index and the shards beside it; only the headers are read.</summary>
    public Task<SafetensorsCheckpoint> OpenSafetensorsAsync(ParseResult parse, CancellationToken cancellationToken) =>
        SafetensorsCheckpoint.OpenAsync(parse.GetValue(_location)!, SourceOptionsOf(parse), cancellationToken: cancellationToken);

    private SourceOptions SourceOptionsOf(ParseResult parse)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in parse.GetValue(_headers) ?? [])
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new ArgumentException($"Header '{header}' is not 'Name: value'.");
            }

            headers[header[..colon].Trim()] = header[(colon + 1)..].Trim();
        }

        return new SourceOptions { Http = new HttpSourceOptions { BearerToken = parse.GetValue(_token), Headers = headers } };
    }
}
