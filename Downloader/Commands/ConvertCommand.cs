using System.CommandLine;
using System.Diagnostics;
using Checkpoints.Conversion;
using Checkpoints.Sources;
using Tensorizer.Configuration;
using Tensorizer.Format;

namespace Downloader.Commands;

/// <summary>
/// <c>convert --source SOURCE --output OUTPUT [--dtype float16]</c>: the seed's download job for any supported
/// checkpoint. Configured by arguments, or by environment variables as a Kubernetes Job (<c>SOURCE</c>,
/// <c>OUTPUT</c>, <c>DTYPE</c>, <c>HF_TOKEN</c>, <c>HF_ENDPOINT</c>, <c>MODELSCOPE_ENDPOINT</c>, the S3 variables,
/// <c>ENCRYPT_KEY_FILE</c> / <c>ENCRYPT_PASSPHRASE_FILE</c>).
/// </summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var source = new Option<string>("--source")
        {
            Description = "Checkpoint: a folder, hf://org/name[@revision], modelscope://org/name[@revision], s3://bucket/prefix/ or builtin://tiny-gptj (env SOURCE).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(SettingNames.Source) ?? "",
        };
        var output = new Option<string>("--output")
        {
            Description = "Model folder or s3://bucket/prefix/ to write: model.tensors, config, tokenizer (env OUTPUT).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(SettingNames.Output) ?? "",
        };
        var dtype = new Option<string>("--dtype")
        {
            Description = $"{string.Join(", ", DtypeNames.ConversionChoices)}, for floating tensors (env {SettingNames.Dtype}).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(SettingNames.Dtype) ?? "float16",
        };
        var force = new Option<bool>("--force") { Description = "Convert even if the output is already complete for this source revision." };
        var include = new Option<string[]>("--include") { Description = "Glob of source files to fetch (repeatable; default: weights, config, tokenizer)." };
        var exclude = new Option<string[]>("--exclude") { Description = "Glob of source files never to fetch (repeatable)." };
        var downloads = new Option<string?>("--download-folder") { Description = "Where to download (and resume); default: OUTPUT/.download, or a temp folder for S3 outputs." };
        var keep = new Option<bool>("--keep-downloads") { Description = "Keep the downloaded checkpoint after converting." };
        var createBucket = new Option<bool>("--create-bucket") { Description = "Create the output's S3 bucket if missing (local S3 emulators)." };
        var parallel = new Option<int>("--parallel") { Description = "Files downloaded at once.", DefaultValueFactory = _ => 4 };
        var connections = new Option<int>("--connections") { Description = "Ranged requests at once per large file (64 MiB chunks).", DefaultValueFactory = _ => 4 };
        var command = new Command("convert", "Fetch a checkpoint and convert it to .tensors with its config and tokenizer, as the seed's download job does.")
        {
            source, output, dtype, force, include, exclude, downloads, keep, createBucket, parallel, connections,
        };
        var encryption = new EncryptionOptions();
        encryption.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var request = new ConversionRequest
            {
                Source = Required(parse.GetValue(source), "--source"),
                Output = Required(parse.GetValue(output), "--output"),
                Dtype = parse.GetValue(dtype)!,
                Force = parse.GetValue(force),
                Include = parse.GetValue(include) ?? [],
                Exclude = parse.GetValue(exclude) ?? [],
                DownloadFolder = parse.GetValue(downloads),
                KeepDownloads = parse.GetValue(keep),
                CreateBucket = parse.GetValue(createBucket),
                Encryption = encryption.Resolve(parse),
                Settings = SourceSettings.FromEnvironment() with
                {
                    ParallelDownloads = Math.Max(1, parse.GetValue(parallel)),
                    ConnectionsPerFile = Math.Max(1, parse.GetValue(connections)),
                },
            };
            var clock = Stopwatch.StartNew();
            var result = await ModelConverter.ConvertAsync(request, new ConversionProgressLine(clock), ct);
            Console.Out.WriteLine(result.Skipped
                ? $"{result.Output} is already complete for {request.Source} at revision {result.Revision} (use --force to convert again)"
                : $"wrote {result.Output}{(request.Encryption is null ? "" : " (encrypted)")}: {result.Tensors} tensors, {InspectCommand.Bytes(result.Bytes)} from {request.Source} at revision {result.Revision} in {clock.Elapsed.TotalSeconds:0.0} s");
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Required(string? value, string name) =>
        string.IsNullOrWhiteSpace(value) ? throw new ArgumentException($"{name} is required (or its environment variable).") : value;
}
