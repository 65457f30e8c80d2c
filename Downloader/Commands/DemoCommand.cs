using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Models;
using Models.Generation;
using Models.TinyModel;
using Tensorizer.Reading;

namespace Downloader.Commands;

/// <summary>
/// <c>demo</c>: the seed's whole path on the embedded default. Writes the tiny GPT-J as a model folder like the
/// seed's converted PVC (config.json, tokenizer files, model.tensors), verifies every hash, loads it into
/// TorchSharp and answers the seed's request, <c>{"instances": ["Once upon a time, there was"]}</c>.
/// </summary>
internal static class DemoCommand
{
    private const string ExamplePrompt = "Once upon a time, there was";
    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--output", "-o")
        {
            Description = "Model folder to write.",
            DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(Path.GetTempPath(), "tensorizer-demo")),
        };
        var prompt = new Option<string>("--prompt") { Description = "Prompt to continue.", DefaultValueFactory = _ => ExamplePrompt };
        var command = new Command("demo", "Write the tiny GPT-J model folder, verify it, load it and continue the seed's prompt.") { output, prompt };
        command.SetAction(async (parse, ct) => await RunAsync(parse.GetValue(output)!, parse.GetValue(prompt)!, ct));
        return command;
    }

    private static async Task<int> RunAsync(DirectoryInfo output, string prompt, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await TinyGptj.WriteAsync(output.FullName, ct);
        Console.Out.WriteLine($"wrote {output.FullName}: {string.Join(", ", output.GetFiles().Select(f => $"{f.Name} ({InspectCommand.Bytes(f.Length)})"))} in {clock.ElapsedMilliseconds} ms");

        var tensors = Path.Combine(output.FullName, ModelFolder.TensorsFile);
        await using (var file = await TensorFile.OpenAsync(tensors, ct))
        {
            var mismatches = await file.VerifyAsync(cancellationToken: ct);
            Console.Out.WriteLine($"verified {file.Index.Count} tensors (format version {file.Header.Version}): {(mismatches.Count == 0 ? "all hashes match" : $"{mismatches.Count} mismatches")}");
            if (mismatches.Count > 0)
            {
                return ExitCodes.VerificationFailed;
            }
        }

        clock.Restart();
        using var generator = await ModelFolder.LoadAsync(output.FullName, cancellationToken: ct);
        Console.Out.WriteLine($"loaded GPT-J ({TinyGptj.Config.NLayer} layers × {TinyGptj.Config.NEmbd}) into TorchSharp in {clock.ElapsedMilliseconds} ms");

        // The seed's generation defaults (sampling, top-k 50, 50 new tokens, prompt included), seeded to be repeatable.
        clock.Restart();
        var result = generator.Generate([prompt], GenerationOptions.ExamplePredictorDefaults with { Seed = 0 }, ct)[0];
        Console.Out.WriteLine($"generated {result.Tokens.Count} tokens in {clock.ElapsedMilliseconds} ms ({result.FinishReason})");
        Console.Out.WriteLine(JsonSerializer.Serialize(new { predictions = new[] { prompt + result.Text } }, Readable));
        return ExitCodes.Success;
    }
}
