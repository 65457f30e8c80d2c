using System.CommandLine;
using System.Text.Json;
using Benchmarks.Support;
using Checkpoints.Formats;
using Tensorizer.Reading;
using Tensorizer.Sources;
using Tensorizer.Sources.S3;
using Tensorizer.Torch;
using static Benchmarks.Support.BenchmarkTable;
using static TorchSharp.torch;

namespace Benchmarks.Commands;

/// <summary>
/// <c>benchmark-safetensors</c>: the same GPT-J-shaped fp16 weights as Hugging Face publishes them (safetensors in
/// shards with <c>model.safetensors.index.json</c>) and as one <c>.tensors</c> file, byte for byte the same tensor
/// data, loaded into CPU tensors by the same engine (hashes off) from the page cache, from HTTP on loopback and from
/// S3 (moto), in one run: each load as a ratio to <c>cat</c> / <c>curl</c> / a plain GET of the same files, the
/// safetensors load as a ratio to the <c>.tensors</c> one, and the peak memory beyond the tensors.
/// </summary>
internal static class SafetensorsBenchmarkCommand
{
    public static Command Create()
    {
        var folder = new Option<DirectoryInfo>("--folder")
        {
            Description = "Where the two checkpoints are written (created when missing, then reused).",
            DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(Path.GetTempPath(), "tensorizer-bench", "gptj-like-both")),
        };
        var layers = new Option<int>("--layers") { Description = "GPT-J blocks (1 ≈ 1.2 GB, 2 ≈ 1.6 GB in fp16).", DefaultValueFactory = _ => 1 };
        var shards = new Option<int>("--shards") { Description = "Safetensors shards, as Hugging Face splits a checkpoint.", DefaultValueFactory = _ => 5 };
        var readers = new Option<int>("--readers") { Description = "Parallel readers for every load.", DefaultValueFactory = _ => 4 };
        var repeat = new Option<int>("--repeat") { Description = "Runs per measurement; the best is reported.", DefaultValueFactory = _ => 2 };
        var skipS3 = new Option<bool>("--skip-s3") { Description = "Leave out S3 (needs moto_server on PATH)." };
        var s3Chunk = new Option<int>("--s3-chunk-mib") { Description = "Range size for S3 loads (moto copies the object for every ranged GET).", DefaultValueFactory = _ => 64 };
        var command = new Command("benchmark-safetensors", "Safetensors shards against .tensors of the same bytes: page cache, HTTP, S3.")
        {
            folder, layers, shards, readers, repeat, skipS3, s3Chunk,
        };
        command.SetAction(async (parse, ct) =>
        {
            var root = parse.GetValue(folder)!.FullName;
            var (tensorsFile, safetensors) = await EnsureAsync(root, parse.GetValue(layers), parse.GetValue(shards), ct);
            var times = Math.Max(1, parse.GetValue(repeat));
            var loadReaders = parse.GetValue(readers);
            await LocalAsync(tensorsFile, safetensors, loadReaders, times, ct);
            await HttpAsync(root, safetensors, loadReaders, times, ct);
            if (!parse.GetValue(skipS3))
            {
                await S3Async(root, safetensors, loadReaders, parse.GetValue(s3Chunk) << 20, times, ct);
            }

            return 0;
        });
        return command;
    }

    /// <summary>Random fp16 GPT-J-shaped tensors written both ways: <c>model.tensors</c>, and shards of about equal size with an index.</summary>
    private static async Task<(string Tensors, IReadOnlyList<string> Safetensors)> EnsureAsync(string root, int layers, int shardCount, CancellationToken ct)
    {
        var tensorsFile = Path.Combine(root, "model.tensors");
        var index = Path.Combine(root, "model.safetensors.index.json");
        if (!File.Exists(tensorsFile) || !File.Exists(index))
        {
            Print($"writing {root} ({layers} GPT-J blocks, fp16, as model.tensors and {shardCount} safetensors shards) ...");
            Directory.CreateDirectory(root);
            var state = new Dictionary<string, Tensor>();
            manual_seed(0);
            foreach (var (name, shape) in GptjShapes.Parameters(4096, layers, 50400))
            {
                state[name] = rand(shape, ScalarType.Float16);
            }

            try
            {
                await TorchTensorWriter.WriteStateDictAsync(state, tensorsFile, ct);
                var total = state.Values.Sum(t => t.NumberOfElements * 2);
                var groups = new List<List<string>> { new() };
                long size = 0;
                foreach (var (name, tensor) in state)
                {
                    var bytes = tensor.NumberOfElements * 2;
                    if (size > 0 && size + bytes > (total / shardCount) + 1 && groups.Count < shardCount)
                    {
                        groups.Add([]);
                        size = 0;
                    }

                    groups[^1].Add(name);
                    size += bytes;
                }

                var weightMap = new Dictionary<string, string>();
                for (var s = 0; s < groups.Count; s++)
                {
                    var shardName = $"model-{s + 1:00000}-of-{groups.Count:00000}.safetensors";
                    SafetensorsWriter.Write(Path.Combine(root, shardName), [.. groups[s].Select(name => new SafetensorsTensor(
                        name, "F16", state[name].shape, state[name].NumberOfElements * 2, stream => stream.Write(state[name].bytes)))]);
                    groups[s].ForEach(name => weightMap[name] = shardName);
                }

                await File.WriteAllTextAsync(index, JsonSerializer.Serialize(new { metadata = new { total_size = total }, weight_map = weightMap }), ct);
            }
            finally
            {
                LoadMeasurement.DisposeAll(state.Values);
            }
        }

        var shardFiles = Directory.GetFiles(root, "model-*.safetensors").Order(StringComparer.Ordinal).ToList();
        Print($"{root}: model.tensors {Bytes(new FileInfo(tensorsFile).Length)}; {shardFiles.Count} shards {Bytes(shardFiles.Sum(f => new FileInfo(f).Length))} + index");
        return (tensorsFile, shardFiles);
    }

    private static TorchLoadOptions Options(int readers, int chunkSize, ScalarType? dtype = null) =>
        new() { Dtype = dtype, Load = new LoadOptions { Readers = readers, ChunkSize = chunkSize } };

    /// <summary>Both loads from one source, each against the source's baseline and the safetensors one against the .tensors one.</summary>
    private static void CompareRows(string what, ITensorCheckpoint tensors, ITensorCheckpoint safetensors, int readers, int chunkSize, double baseline, string baselineName, int repeat, CancellationToken ct)
    {
        var bytes = tensors.Tensors.Sum(t => t.DataLength);
        var options = Options(readers, chunkSize);
        var budget = (long)readers * chunkSize;
        var (tensorsSeconds, tensorsPeak) = LoadMeasurement.Measure(tensors, options, repeat, ct);
        Row($"{what}: .tensors → CPU tensors, readers={readers}", bytes, tensorsSeconds, baseline, baselineName, LoadMeasurement.Describe(tensorsPeak, budget, "readers × chunk"));
        var (seconds, peak) = LoadMeasurement.Measure(safetensors, options, repeat, ct);
        Row($"{what}: safetensors shards → CPU tensors, readers={readers}", bytes, seconds, baseline, baselineName,
            $"{tensorsSeconds / seconds:0.00}× .tensors; {LoadMeasurement.Describe(peak, budget, "readers × chunk")}");
    }

    private static async Task LocalAsync(string tensorsFile, IReadOnlyList<string> shards, int readers, int repeat, CancellationToken ct)
    {
        await using var tensors = await TensorCheckpoints.OpenAsync(tensorsFile, cancellationToken: ct);
        await using var safetensors = await TensorCheckpoints.OpenAsync(Path.Combine(Path.GetDirectoryName(tensorsFile)!, "model.safetensors.index.json"), cancellationToken: ct);
        var bytes = shards.Sum(f => new FileInfo(f).Length);
        TimeShell("cat \"$@\" > /dev/null", [.. shards, tensorsFile]); // warms the page cache for both
        var cat = bytes / Best(repeat, () => TimeShell("cat \"$@\" > /dev/null", [.. shards]));
        Print("");
        Row("cat shards > /dev/null (page cache)", bytes, bytes / cat, cat, "cat");
        CompareRows("page cache", tensors, safetensors, readers, LoadOptions.DefaultChunkSize, cat, "cat", repeat, ct);

        // The service's DTYPE differs from the checkpoint's: cast chunk by chunk while read, one chunk per reader beside the tensors.
        var options = Options(readers, LoadOptions.DefaultChunkSize, ScalarType.Float32);
        var (seconds, peak) = LoadMeasurement.Measure(safetensors, options, repeat, ct);
        Row($"page cache: safetensors fp16 → fp32 tensors (cast while read), readers={readers}", bytes, seconds, cat, "cat",
            LoadMeasurement.Describe(peak, (long)readers * LoadOptions.DefaultChunkSize, "readers × chunk"));
    }

    private static async Task HttpAsync(string root, IReadOnlyList<string> shards, int readers, int repeat, CancellationToken ct)
    {
        await using var server = await LoopbackFileServer.StartFolderAsync(root);
        var urls = shards.Select(f => new Uri(server.Url, Path.GetFileName(f)).AbsoluteUri).ToArray();
        var bytes = shards.Sum(f => new FileInfo(f).Length);
        var curl = bytes / Best(repeat, () => TimeShell("for u in \"$@\"; do curl -sf -o /dev/null \"$u\" || exit 1; done", urls));
        Print("");
        Row($"curl -o /dev/null of each shard from {server.Url.GetLeftPart(UriPartial.Authority)}", bytes, bytes / curl, curl, "curl");
        await using var tensors = await TensorCheckpoints.OpenAsync(new Uri(server.Url, "model.tensors").AbsoluteUri, cancellationToken: ct);
        await using var safetensors = await TensorCheckpoints.OpenAsync(new Uri(server.Url, "model.safetensors.index.json").AbsoluteUri, cancellationToken: ct);
        CompareRows("HTTP", tensors, safetensors, readers, LoadOptions.DefaultChunkSize, curl, "curl", repeat, ct);
    }

    private static async Task S3Async(string root, IReadOnlyList<string> shards, int readers, int chunkSize, int repeat, CancellationToken ct)
    {
        using var moto = await MotoServer.StartAsync(ct);
        var settings = new S3Settings { Endpoint = moto.Endpoint, AccessKeyId = "bench", SecretAccessKey = "bench" };
        using var client = S3ClientFactory.Create(settings);
        await client.PutBucketAsync("bench", ct);
        foreach (var file in shards.Append(Path.Combine(root, "model.tensors")).Append(Path.Combine(root, "model.safetensors.index.json")))
        {
            await using var upload = new S3UploadStream(client, S3Location.Parse($"s3://bench/gptj/{Path.GetFileName(file)}"));
            await using var input = File.OpenRead(file);
            await input.CopyToAsync(upload, 8 << 20, ct);
            await upload.CompleteAsync(ct);
        }

        var bytes = shards.Sum(f => new FileInfo(f).Length);
        var plain = bytes / Best(repeat, () => Time(() =>
        {
            foreach (var shard in shards)
            {
                using var response = client.GetObjectAsync("bench", $"gptj/{Path.GetFileName(shard)}", ct).GetAwaiter().GetResult();
                response.ResponseStream.CopyToAsync(Stream.Null, 8 << 20, ct).GetAwaiter().GetResult();
            }
        }));
        Print("");
        Row($"plain SDK GetObject of each shard → /dev/null from moto {moto.Endpoint.GetLeftPart(UriPartial.Authority)}", bytes, bytes / plain, plain, "get");
        var sources = new SourceOptions { S3 = settings };
        await using var tensors = await TensorCheckpoints.OpenAsync("s3://bench/gptj/model.tensors", sources, cancellationToken: ct);
        await using var safetensors = await TensorCheckpoints.OpenAsync("s3://bench/gptj/model.safetensors.index.json", sources, cancellationToken: ct);
        CompareRows($"S3 ({chunkSize >> 20} MiB ranges)", tensors, safetensors, readers, chunkSize, plain, "get", repeat, ct);
    }
}
