using System.CommandLine;
using Tensorizer.Reading;

namespace Downloader.Commands;

/// <summary>Options several commands share.</summary>
internal static class CliOptions
{
    public static Option<int> Readers() => new("--readers", "-r")
    {
        Description = "Parallel readers.",
        DefaultValueFactory = _ => LoadOptions.Default.Readers,
    };

    public static Option<int> ChunkMiB() => new("--chunk-mib")
    {
        Description = "Largest single read, in MiB.",
        DefaultValueFactory = _ => LoadOptions.DefaultChunkSize >> 20,
    };
}
