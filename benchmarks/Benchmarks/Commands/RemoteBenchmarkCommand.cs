using System.CommandLine;
using Benchmarks.Support;
using Tensorizer.Reading;
using Tensorizer.Sources;
using Tensorizer.Sources.Http;
using Tensorizer.Sources.S3;
using Tensorizer.Torch;
using static Benchmarks.Support.BenchmarkTable;

namespace Benchmarks.Commands;

/// <summary>
/// <c>benchmark-remote</c>: the same GPT-J-shaped file loaded from local disk, over HTTP from Kestrel on
/// 127.0.0.1 against <c>curl -o /dev/null</c> from the same server, and from S3 (moto_server) against a plain SDK
/// GetObject to nowhere, for readers 1, 2, 4, 8, with peak extra memory.
/// </summary>
internal static class RemoteBenchmarkCommand
{
    public static Command Create()
    {
        var file = GptjLikeFile.FileOption();
        var layers = new Option<int>("--layers") { Description = "GPT-J blocks in the file (2 ≈ 1.6 GB).", DefaultValueFactory = _ => 2 };
        var repeat = new Option<int>("--repeat") { Description = "Runs per measurement; the best is reported.", DefaultValueFactory = _ => 2 };
        var skipS3 = new Option<bool>("--skip-s3") { Description = "Leave out S3 (needs moto_server on PATH)." };
        var s3Chunk = new Option<int>("--s3-chunk-mib")
        {
            Description = "Range size for S3 loads; moto copies the whole object for every ranged GET, so small ranges cost it dearly.",
            DefaultValueFactory = _ => 64,
        };
        var command = new Command("benchmark-remote", "Measure HTTP and S3 load speed against curl and a plain S3 GET.") { file, layers, repeat, skipS3, s3Chunk };
        command.SetAction(async (parse, ct) =>
        {
            var input = parse.GetValue(file)!;
            await GptjLikeFile.EnsureAsync(input, parse.GetValue(layers), ct);
            var times = Math.Max(1, parse.GetValue(repeat));
            await using (var local = await TensorFile.OpenAsync(input.FullName, ct))
            {
                Print($"file: {input.FullName}: {local.Index.Count} tensors, {BenchmarkTable.Bytes(local.Index.DataBytes)}; chunk {LoadOptions.DefaultChunkSize >> 20} MiB");
                var cat = input.Length / Best(times, () => TimeShell("cat \"$1\" > /dev/null", input.FullName)); // also warms the page cache
                var (seconds, _) = LoadMeasurement.Measure(local, new TorchLoadOptions { Load = new LoadOptions { Readers = 4 } }, times, ct);
                Row("local load → CPU tensors, readers=4", local.Index.DataBytes, seconds, cat, "cat");
            }

            await HttpAsync(input, times, ct);
            if (!parse.GetValue(skipS3))
            {
                await S3Async(input, times, parse.GetValue(s3Chunk) << 20, ct);
            }

            return 0;
        });
        return command;
    }

    private static async Task HttpAsync(FileInfo input, int repeat, CancellationToken ct)
    {
        await using var server = await LoopbackFileServer.StartAsync(input.FullName);
        var curl = input.Length / Best(repeat, () => TimeShell("curl -sf -o /dev/null \"$1\"", server.Url.ToString()));
        Print("");
        Row($"curl -o /dev/null {server.Url.GetLeftPart(UriPartial.Authority)}", input.Length, input.Length / curl, curl, "curl");
        await using var source = await HttpSource.OpenAsync(server.Url, cancellationToken: ct);
        await LoadRowsAsync("HTTP", source, LoadOptions.DefaultChunkSize, curl, "curl", repeat, ct);
    }

    private static async Task S3Async(FileInfo input, int repeat, int chunkSize, CancellationToken ct)
    {
        using var moto = await MotoServer.StartAsync(ct);
        using var client = S3ClientFactory.Create(new S3Settings { Endpoint = moto.Endpoint, AccessKeyId = "bench", SecretAccessKey = "bench" });
        var location = S3Location.Parse("s3://bench/gptj-like.tensors");
        await client.PutBucketAsync(location.Bucket, ct);
        await using (var upload = new S3UploadStream(client, location))
        {
            await using var file = input.OpenRead();
            await file.CopyToAsync(upload, 8 << 20, ct);
            await upload.CompleteAsync(ct);
        }

        var plain = input.Length / Best(repeat, () => Time(() => PlainGetAsync(client, location, range: null, ct).GetAwaiter().GetResult()));
        Print("");
        Row($"plain SDK GetObject → /dev/null from moto {moto.Endpoint.GetLeftPart(UriPartial.Authority)}", input.Length, input.Length / plain, plain, "get");
        foreach (var parallel in new[] { 1, 4 })
        {
            var seconds = Best(repeat, () => Time(() => PlainRangedGetsAsync(client, location, input.Length, chunkSize, parallel, ct).GetAwaiter().GetResult()));
            Row($"plain SDK ranged GetObject × {parallel} ({chunkSize >> 20} MiB ranges) → /dev/null", input.Length, seconds, plain, "get");
        }

        await using var source = await S3RangeSource.OpenAsync(client, location, ct);
        await LoadRowsAsync("S3", source, chunkSize, plain, "get", repeat, ct);
    }

    private static async Task PlainGetAsync(Amazon.S3.IAmazonS3 client, S3Location location, Amazon.S3.Model.ByteRange? range, CancellationToken ct)
    {
        var request = new Amazon.S3.Model.GetObjectRequest { BucketName = location.Bucket, Key = location.Key, ByteRange = range };
        using var response = await client.GetObjectAsync(request, ct);
        await response.ResponseStream.CopyToAsync(Stream.Null, 8 << 20, ct);
    }

    /// <summary>The same ranges a load requests, fetched with the SDK and thrown away: the server's own cost per range.</summary>
    private static Task PlainRangedGetsAsync(Amazon.S3.IAmazonS3 client, S3Location location, long length, int chunkSize, int parallel, CancellationToken ct) =>
        Parallel.ForEachAsync(
            Enumerable.Range(0, (int)((length + chunkSize - 1) / chunkSize)),
            new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct },
            async (i, token) => await PlainGetAsync(client, location, new Amazon.S3.Model.ByteRange((long)i * chunkSize, Math.Min(length, ((long)i + 1) * chunkSize) - 1), token));

    private static async Task LoadRowsAsync(string what, IRangeSource source, int chunkSize, double baselineRate, string baselineName, int repeat, CancellationToken ct)
    {
        await using var file = await TensorFile.OpenAsync(source, cancellationToken: ct);
        foreach (var readers in new[] { 1, 2, 4, 8 })
        {
            var options = new TorchLoadOptions { Load = new LoadOptions { Readers = readers, ChunkSize = chunkSize } };
            var (seconds, peakExtra) = LoadMeasurement.Measure(file, options, repeat, ct);
            Row($"{what} load → CPU tensors, readers={readers}", file.Index.DataBytes, seconds, baselineRate, baselineName,
                LoadMeasurement.Describe(peakExtra, (long)readers * options.Load.ChunkSize, "readers × chunk"));
        }
    }
}
