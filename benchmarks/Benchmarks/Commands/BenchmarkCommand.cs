using System.CommandLine;
using Benchmarks.Support;
using Tensorizer.Crypto;
using Tensorizer.Reading;
using Tensorizer.Torch;
using Tensorizer.Writing;
using static Benchmarks.Support.BenchmarkTable;

namespace Benchmarks.Commands;

/// <summary>
/// <c>benchmark</c>: on a GPT-J-shaped fp16 file (≥ 1 GiB by default) measures, in one run, the page-cache limit
/// (<c>cat</c>), raw reads into fresh and touched memory, our load into CPU tensors (readers 1/2/4, hashes off and
/// on) with peak extra memory, and TorchSharp's own save/load of the same tensors.
/// </summary>
internal static class BenchmarkCommand
{
    public static Command Create()
    {
        var file = GptjLikeFile.FileOption();
        var layers = new Option<int>("--layers") { Description = "GPT-J blocks in the file (2 ≈ 1.6 GB).", DefaultValueFactory = _ => 2 };
        var repeat = new Option<int>("--repeat") { Description = "Runs per measurement; the best is reported.", DefaultValueFactory = _ => 2 };
        var command = new Command("benchmark", "Measure local load speed and memory against cat, raw reads and TorchSharp.") { file, layers, repeat };
        command.SetAction(async (parse, ct) =>
        {
            await RunAsync(parse.GetValue(file)!, parse.GetValue(layers), Math.Max(1, parse.GetValue(repeat)), ct);
            return 0;
        });
        return command;
    }

    private static async Task RunAsync(FileInfo file, int layers, int repeat, CancellationToken ct)
    {
        await GptjLikeFile.EnsureAsync(file, layers, ct);
        await using var tensors = await TensorFile.OpenAsync(file.FullName, ct);
        var bytes = tensors.Index.DataBytes;
        var largest = tensors.Index.Max(e => e.DataLength);
        Print($"file: {file.FullName}: {tensors.Index.Count} tensors, {BenchmarkTable.Bytes(bytes)} of data, largest tensor {BenchmarkTable.Bytes(largest)}");
        Print($"machine: {Environment.ProcessorCount} cores; libtorch THP_MEM_ALLOC_ENABLE=1 (set by the CLI)");
        Print("");

        var cat = file.Length / Best(repeat, () => TimeShell("cat \"$1\" > /dev/null", file.FullName));
        Row("cat FILE > /dev/null (page-cache limit)", file.Length, file.Length / cat, cat, "cat");
        foreach (var memory in Enum.GetValues<RawReadBaseline.Memory>())
        {
            Row($"raw pread, 1 thread, {memory}", file.Length, Best(repeat, () => RawReadBaseline.Measure(file.FullName, memory)), cat, "cat");
        }

        var plainRates = new Dictionary<bool, double>();
        foreach (var verify in new[] { false, true })
        {
            foreach (var readers in new[] { 1, 2, 4 })
            {
                var options = new TorchLoadOptions { Load = new LoadOptions { Readers = readers, VerifyHashes = verify } };
                var (seconds, peakExtra) = LoadMeasurement.Measure(tensors, options, repeat, ct);
                Row($"tensorizer load → CPU tensors, readers={readers}, hashes {(verify ? "on " : "off")}", bytes, seconds, cat, "cat",
                    LoadMeasurement.Describe(peakExtra, largest, "largest tensor"));
                plainRates[verify] = bytes / seconds; // the last, readers=4, is what the encrypted rows compare with
            }
        }

        await CompareEncryptedAsync(tensors, file, repeat, plainRates, ct);
        await CompareWithTorchSharpAsync(tensors, bytes, repeat, cat, file.DirectoryName!, ct);
    }

    /// <summary>
    /// The same tensors encrypted as upstream encrypts (XSalsa20-Poly1305 in 2 MiB boxes): the cost of decrypting on
    /// the parallel chunked path, next to the plain load with the same readers.
    /// </summary>
    private static async Task CompareEncryptedAsync(TensorFile plain, FileInfo file, int repeat, Dictionary<bool, double> plainRates, CancellationToken ct)
    {
        var encryptedPath = Path.ChangeExtension(file.FullName, ".encrypted.tensors");
        var keyPath = encryptedPath + ".key";
        if (!File.Exists(encryptedPath) || !File.Exists(keyPath))
        {
            var encryption = TensorEncryption.Random();
            var data = await plain.ReadBytesAsync(cancellationToken: ct);
            var toWrite = plain.Index.Select(e => TensorToWrite.StateDict(e.Name.Text, e.Dtype.ElementType, e.Shape, data[e.Name.Text])).ToList();
            await TensorWriter.WriteFileAsync(encryptedPath, toWrite, encryption, ct);
            await File.WriteAllBytesAsync(keyPath, encryption.Key.ToArray(), ct);
        }

        await using var encrypted = await TensorFile.OpenAsync(encryptedPath, ct);
        var key = DecryptionKey.FromKeyFile(keyPath);
        var bytes = encrypted.Index.DataBytes;
        foreach (var verify in new[] { false, true })
        {
            var options = new TorchLoadOptions { Load = new LoadOptions { Readers = 4, VerifyHashes = verify, Decryption = key } };
            var (seconds, _) = LoadMeasurement.Measure(encrypted, options, repeat, ct);
            Row($"encrypted load → CPU tensors, readers=4, hashes {(verify ? "on " : "off")}", bytes, seconds, plainRates[verify], "plain");
        }
    }

    private static async Task CompareWithTorchSharpAsync(TensorFile tensors, long bytes, int repeat, double catRate, string directory, CancellationToken ct)
    {
        var stateDictPath = Path.Combine(directory, "torchsharp-state-dict.bin");
        var nativeDirectory = Path.Combine(directory, "torch-save");
        var loaded = await tensors.LoadTensorsAsync(cancellationToken: ct);
        if (!File.Exists(stateDictPath))
        {
            TorchSharpBaseline.SaveStateDict(loaded, stateDictPath);
        }

        if (!Directory.Exists(nativeDirectory))
        {
            TorchSharpBaseline.SaveNative(loaded, nativeDirectory);
        }

        LoadMeasurement.DisposeAll(loaded.Values);
        Row("TorchSharp Module.load format (state-dict stream)", bytes, Best(repeat, () => Time(() => LoadMeasurement.DisposeAll(TorchSharpBaseline.LoadStateDict(stateDictPath)))), catRate, "cat");
        Row("TorchSharp torch.load (libtorch torch::load), per tensor", bytes, Best(repeat, () => Time(() => LoadMeasurement.DisposeAll(TorchSharpBaseline.LoadNative(nativeDirectory)))), catRate, "cat");
    }
}
