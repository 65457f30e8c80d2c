using System.CommandLine;
using Downloader.Benchmarks;
using Tensorizer.Reading;
using Tensorizer.Sources;
using Tensorizer.Sources.Http;
using Tensorizer.Sources.S3;
using Tensorizer.Torch;
using static Downloader.Benchmarks.BenchmarkTable;

namespace Downloader.Commands;

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
        var command = new Command("benchmark-remote", "Measure HTTP and S3 load speed against curl and a plain S3 GET.") { file, layers, repeat, skipS3 };
        command.SetAction(async (parse, ct) =>
        {
            var input = parse.GetValue(file)!;
            await GptjLikeFile.EnsureAsync(input, parse.GetValue(layers), ct);
            var times = Math.Max(1, parse.GetValue(repeat));
            await using (var local = await TensorFile.OpenAsync(input.FullName, ct))
            {
                Print($"file: {input.FullName}: {local.Index.Count} tensors, {InspectCommand.Bytes(local.Index.DataBytes)}; chunk {LoadOptions.DefaultChunkSize >> 20} MiB");
                var (seconds, _) = LoadMeasurement.Measure(local, new TorchLoadOptions { Load = new LoadOptions { Readers = 4 } }, times, ct);
                var cat = input.Length / Best(times, () => TimeShell("cat \"$1\" > /dev/null", input.FullName));
                Row("local load → CPU tensors, readers=4", local.Index.DataBytes, seconds, cat, "cat");
            }

            await HttpAsync(input, times, ct);
            if (!parse.GetValue(skipS3))
            {
                await S3Async(input, times, ct);
            }

            return ExitCodes.Success;
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
        await LoadRowsAsync("HTTP", source, curl, "curl", repeat, ct);
    }

    private static async Task S3Async(FileInfo input, int repeat, CancellationToken ct)
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

        var plain = input.Length / Best(repeat, () => Time(() =>
        {
            using var response = client.GetObjectAsync(location.Bucket, location.Key, ct).GetAwaiter().GetResult();
            response.ResponseStream.CopyTo(Stream.Null, 8 << 20);
        }));
        Print("");
        Row($"plain SDK GetObject → /dev/null from moto {moto.Endpoint.GetLeftPart(UriPartial.Authority)}", input.Length, input.Length / plain, plain, "get");
        await using var source = await S3RangeSource.OpenAsync(client, location, ct);
        await LoadRowsAsync("S3", source, plain, "get", repeat, ct);
    }

    private static async Task LoadRowsAsync(string what, IRangeSource source, double baselineRate, string baselineName, int repeat, CancellationToken ct)
    {
        await using var file = await TensorFile.OpenAsync(source, cancellationToken: ct);
        foreach (var readers in new[] { 1, 2, 4, 8 })
        {
            var options = new TorchLoadOptions { Load = new LoadOptions { Readers = readers } };
            var (seconds, peakExtra) = LoadMeasurement.Measure(file, options, repeat, ct);
            Row($"{what} load → CPU tensors, readers={readers}", file.Index.DataBytes, seconds, baselineRate, baselineName,
                LoadMeasurement.Describe(peakExtra, (long)readers * options.Load.ChunkSize, "readers × chunk"));
        }
    }
}
