using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Downloader.Conversion;
using static TorchSharp.torch;

namespace Downloader.Commands;

/// <summary><c>convert --source DIR --output DIR [--dtype float16]</c>: a checkpoint folder to the seed's PVC layout.</summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var source = new Option<DirectoryInfo>("--source") { Description = "Checkpoint folder (safetensors, single or sharded).", Required = true };
        var output = new Option<DirectoryInfo>("--output") { Description = "Model folder to write (model.tensors, config, tokenizer).", Required = true };
        var dtype = new Option<string>("--dtype") { Description = "float16, bfloat16, float32 or keep (floating tensors only).", DefaultValueFactory = _ => "float16" };
        var force = new Option<bool>("--force") { Description = "Convert even if the output is already complete for this source." };
        var command = new Command("convert", "Convert a checkpoint folder to .tensors, as the seed's download job does.") { source, output, dtype, force };
        command.SetAction(async (parse, ct) =>
        {
            var target = parse.GetValue(dtype) switch
            {
                "float16" or "fp16" => ScalarType.Float16,
                "bfloat16" or "bf16" => ScalarType.BFloat16,
                "float32" or "fp32" => ScalarType.Float32,
                "keep" => (ScalarType?)null,
                var other => throw new ArgumentException($"--dtype '{other}' is not float16, bfloat16, float32 or keep."),
            };
            var clock = Stopwatch.StartNew();
            var progress = new Progress<ConversionProgress>(p => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"convert: {p.TensorsDone}/{p.TensorCount} tensors, {InspectCommand.Bytes(p.BytesDone)} of {InspectCommand.Bytes(p.TotalBytes)}")));
            var result = await CheckpointConverter.ConvertAsync(parse.GetValue(source)!.FullName, parse.GetValue(output)!.FullName, target, parse.GetValue(force), progress, ct);
            Console.Out.WriteLine(result.Skipped
                ? $"{result.Output} is already complete for this source (use --force to convert again)"
                : $"wrote {result.Output}: {result.Tensors} tensors, {InspectCommand.Bytes(result.Bytes)} in {clock.Elapsed.TotalSeconds:0.0} s");
            return ExitCodes.Success;
        });
        return command;
    }
}
