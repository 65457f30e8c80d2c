using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;

namespace Benchmarks.Serving;

/// <summary>
/// <c>benchmark-serving [MODEL_PATH]</c>: the real service (its own process) on 127.0.0.1, driven by 8 concurrent clients, once
/// one request at a time (batch size 1) and once with dynamic batching (batch size 8), in one run: requests/s,
/// p50/p99 latency and generated tokens/s; on the embedded tiny GPT-J and a random 12 × 768 GPT-J unless a model
/// folder is given.
/// </summary>
internal static class ServingBenchmark
{
    private const int Clients = 8;
    private const int RequestsPerClient = 6;
    private const int NewTokens = 32;

    public static Command Create()
    {
        var modelPath = new Argument<string?>("MODEL_PATH") { Description = "A model folder (or s3://…) to serve; by default the embedded tiny GPT-J, then a random 12 × 768 GPT-J.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("benchmark-serving", "Measure the service's throughput and latency, one request at a time against dynamic batching.") { modelPath };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(modelPath)));
        return command;
    }

    private static async Task<int> RunAsync(string? modelPath)
    {
        if (modelPath is not null)
        {
            await CompareAsync(modelPath, modelPath);
            return 0;
        }

        await CompareAsync("embedded tiny GPT-J (2 × 64)", null);
        var medium = Directory.CreateTempSubdirectory("serving-bench-").FullName;
        try
        {
            await Models.TinyModel.RandomGptj.WriteAsync(medium, Models.TinyModel.RandomGptj.Medium);
            await CompareAsync("random GPT-J 12 × 768", medium);
        }
        finally
        {
            Directory.Delete(medium, recursive: true);
        }

        return 0;
    }

    private static async Task CompareAsync(string name, string? modelPath)
    {
        Console.Out.WriteLine($"{name}: {Clients} concurrent clients × {RequestsPerClient} requests, {NewTokens} new tokens each (greedy)");
        var serialized = await MeasureAsync(modelPath, maxBatch: 1);
        var batched = await MeasureAsync(modelPath, maxBatch: Clients);
        Report("  one at a time (MAX_BATCH_SIZE=1)", serialized, serialized);
        Report($"  dynamic batching (MAX_BATCH_SIZE={Clients})", batched, serialized);
    }

    private static void Report(string what, Result result, Result baseline) =>
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what,-36} {result.RequestsPerSecond,7:0.00} req/s  p50 {result.P50 * 1000,6:0} ms  p99 {result.P99 * 1000,6:0} ms  {result.TokensPerSecond,7:0} tokens/s  {result.RequestsPerSecond / baseline.RequestsPerSecond,5:0.00}× serialized"));

    private static async Task<Result> MeasureAsync(string? modelPath, int maxBatch)
    {
        var settings = new Dictionary<string, string>
        {
            ["MAX_BATCH_SIZE"] = maxBatch.ToString(CultureInfo.InvariantCulture),
            ["QUEUE_CAPACITY"] = "256",
            ["MODEL_PATH"] = modelPath ?? Checkpoints.Sources.BuiltinSource.TinyGptj,
            ["Logging__LogLevel__Default"] = "Warning",
        };

        using var service = ServiceProcess.Start(settings);
        await service.WaitUntilReadyAsync();
        var client = service.Client;
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async c =>
        {
            for (var r = 0; r < RequestsPerClient; r++)
            {
                var started = Stopwatch.GetTimestamp();
                var body = new { instances = new[] { $"Request {r} from client {c}: once upon a time" }, parameters = new { max_new_tokens = NewTokens, do_sample = false } };
                using var response = await client.PostAsJsonAsync("/v1/models/gptj:predict", body);
                response.EnsureSuccessStatusCode();
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        var sorted = latencies.Order().ToArray();
        return new Result(sorted.Length / seconds, sorted[sorted.Length / 2], sorted[(int)Math.Ceiling(sorted.Length * 0.99) - 1], sorted.Length * NewTokens / seconds);
    }

    private sealed record Result(double RequestsPerSecond, double P50, double P99, double TokensPerSecond);
}
