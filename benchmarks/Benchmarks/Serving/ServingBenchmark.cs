using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Models.Generation;

namespace Benchmarks.Serving;

/// <summary>
/// <c>benchmark-serving [MODEL_PATH]</c>: the real service (its own process) on 127.0.0.1, OpenAI completions, in
/// one run: 8 concurrent clients once one request at a time (<c>MAX_BATCH_SIZE=1</c>) and once with continuous
/// batching (<c>MAX_BATCH_SIZE=8</c>), beside the engine's own batch-8 gain measured in this process; then mixed
/// load, one client streaming 256-token completions while 7 send 8-token requests, against those short requests on
/// an idle server. Tokens/s and p50/p99 latency as the clients see them; time to first token and inter-token latency
/// from the service's own histograms over the scenario (their bucket bounds, and the mean), and as the streaming
/// client sees them; on the embedded tiny GPT-J and a random 12 × 768 GPT-J unless a model folder is given.
/// </summary>
internal static class ServingBenchmark
{
    private const int Clients = 8;
    private const int RequestsPerClient = 4;
    private const int NewTokens = 32;
    private const int LongTokens = 256;
    private const int ShortTokens = 8;
    private const int ShortRequestsIdle = 12;
    private const int LongRequests = 1;

    public static Command Create()
    {
        var modelPath = new Argument<string?>("MODEL_PATH") { Description = "A model folder (or s3://…) to serve; by default the embedded tiny GPT-J, then a random 12 × 768 GPT-J.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("benchmark-serving", "Measure the service's throughput and latency: one request at a time against continuous batching, and mixed load.") { modelPath };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(modelPath)));
        return command;
    }

    private static async Task<int> RunAsync(string? modelPath)
    {
        if (modelPath is not null)
        {
            await CompareAsync(modelPath, modelPath, modelPath);
            return 0;
        }

        var tiny = Directory.CreateTempSubdirectory("serving-bench-tiny-").FullName;
        var medium = Directory.CreateTempSubdirectory("serving-bench-").FullName;
        try
        {
            await Models.TinyModel.TinyGptj.WriteAsync(tiny);
            await CompareAsync("embedded tiny GPT-J (2 × 64)", Checkpoints.Sources.BuiltinSource.TinyGptj, tiny);
            await Models.TinyModel.RandomGptj.WriteAsync(medium, Models.TinyModel.RandomGptj.Medium);
            await CompareAsync("random GPT-J 12 × 768", medium, medium);
        }
        finally
        {
            Directory.Delete(tiny, recursive: true);
            Directory.Delete(medium, recursive: true);
        }

        return 0;
    }

    private static async Task CompareAsync(string name, string modelPath, string folder)
    {
        Console.Out.WriteLine($"{name}: {Clients} concurrent clients × {RequestsPerClient} requests, {NewTokens} new tokens each (greedy, not streamed)");
        var engineGain = await EngineGainAsync(folder);
        var serialized = await ThroughputAsync(modelPath, maxBatch: 1);
        var batched = await ThroughputAsync(modelPath, maxBatch: Clients);
        Report("  one at a time (MAX_BATCH_SIZE=1)", serialized, serialized.TokensPerSecond);
        Report($"  continuous batching (MAX_BATCH_SIZE={Clients})", batched, serialized.TokensPerSecond);
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  the engine alone (this process, no HTTP): batch {Clients} decodes {engineGain:0.00}× the tokens/s of batch 1; the service: {batched.TokensPerSecond / serialized.TokensPerSecond:0.00}×"));

        Console.Out.WriteLine($"{name}: mixed load, 1 client streaming {LongTokens}-token completions while {Clients - 1} send {ShortTokens}-token requests (MAX_BATCH_SIZE={Clients})");
        var (idle, shortsOnly, shortMixed, longMixed) = await MixedAsync(modelPath);
        Report($"  {ShortTokens}-token requests, idle server", idle, null);
        Report($"  {ShortTokens}-token requests, {Clients - 1} clients", shortsOnly, null);
        Report($"  {ShortTokens}-token requests, mixed load", shortMixed, null);
        Report($"  {LongTokens}-token streams, mixed load", longMixed, null);
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  short requests' p50 latency under mixed load: {shortMixed.P50 / idle.P50:0.00}× one alone on the idle server, {shortMixed.P50 / shortsOnly.P50:0.00}× the same {Clients - 1} clients without the long stream"));
    }

    private static void Report(string what, Result result, double? baseline) =>
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what,-40} {result.TokensPerSecond,6:0} tokens/s  latency p50 {result.P50 * 1000,6:0} p99 {result.P99 * 1000,6:0} ms  {result.Tokens}{(baseline is { } b ? $"  {result.TokensPerSecond / b,5:0.00}× serialized" : "")}"));

    /// <summary>The engine's own batch gain: tokens/s of 8 greedy sequences decoded together over 1 alone (best of 3).</summary>
    private static async Task<double> EngineGainAsync(string folder)
    {
        using var generator = await Models.ModelFolder.LoadAsync(folder);
        var options = new GenerationOptions { MaxNewTokens = NewTokens, StopAtEndOfText = false };
        string[] prompts = [.. Enumerable.Range(0, Clients).Select(c => $"Request 0 from client {c}: once upon a time")];
        generator.Generate([prompts[0]], options); // warm-up
        double Best(string[] batch) => Enumerable.Range(0, 3).Min(_ =>
        {
            var clock = Stopwatch.StartNew();
            generator.Generate(batch, options);
            return clock.Elapsed.TotalSeconds;
        });
        var one = Best(prompts[..1]);
        var eight = Best(prompts);
        return Clients * one / eight;
    }

    private static ServiceProcess Start(string modelPath, int maxBatch)
    {
        var settings = new Dictionary<string, string>
        {
            ["MAX_BATCH_SIZE"] = maxBatch.ToString(CultureInfo.InvariantCulture),
            ["QUEUE_CAPACITY"] = "256",
            ["MODEL_PATH"] = modelPath,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        return ServiceProcess.Start(settings);
    }

    private static async Task<Result> ThroughputAsync(string modelPath, int maxBatch)
    {
        using var service = Start(modelPath, maxBatch);
        await service.WaitUntilReadyAsync();
        var before = await TokenLatencies.ReadAsync(service.Client);
        var requests = new ConcurrentBag<Timing>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async c =>
        {
            for (var r = 0; r < RequestsPerClient; r++)
            {
                requests.Add(await CompleteAsync(service.Client, $"Request {r} from client {c}: once upon a time", NewTokens));
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        return Result.Of(requests, seconds, (await TokenLatencies.ReadAsync(service.Client)).Since(before));
    }

    /// <summary>
    /// Short requests one at a time on the idle server, then from 7 clients at once (what the long stream's
    /// neighbours cost each other), then from the same 7 beside one client streaming long completions.
    /// </summary>
    private static async Task<(Result Idle, Result ShortsOnly, Result Short, Result Long)> MixedAsync(string modelPath)
    {
        using var service = Start(modelPath, Clients);
        await service.WaitUntilReadyAsync();
        var idle = new List<Timing>();
        await CompleteAsync(service.Client, "Warm-up", ShortTokens);
        var before = await TokenLatencies.ReadAsync(service.Client);
        var clock = Stopwatch.StartNew();
        for (var r = 0; r < ShortRequestsIdle; r++)
        {
            idle.Add(await CompleteAsync(service.Client, $"Short request {r}: hello", ShortTokens));
        }

        var idleSeconds = clock.Elapsed.TotalSeconds;
        var afterIdle = await TokenLatencies.ReadAsync(service.Client);
        var idleResult = Result.Of(idle, idleSeconds, afterIdle.Since(before));
        var alone = new ConcurrentBag<Timing>();
        clock.Restart();
        await Task.WhenAll(Enumerable.Range(0, Clients - 1).Select(async c =>
        {
            for (var r = 0; r < RequestsPerClient; r++)
            {
                alone.Add(await CompleteAsync(service.Client, $"Short request {r} from client {c}: hello", ShortTokens));
            }
        }));
        var aloneSeconds = clock.Elapsed.TotalSeconds;
        var afterAlone = await TokenLatencies.ReadAsync(service.Client);
        var shortsOnly = Result.Of(alone, aloneSeconds, afterAlone.Since(afterIdle));
        var shorts = new ConcurrentBag<Timing>();
        var longs = new ConcurrentBag<Timing>();
        using var done = new CancellationTokenSource();
        clock.Restart();
        var longClient = Task.Run(async () =>
        {
            for (var r = 0; r < LongRequests; r++)
            {
                longs.Add(await StreamAsync(service.Client, $"Long request {r}: once upon a time", LongTokens));
            }

            await done.CancelAsync();
        });
        await Task.WhenAll(Enumerable.Range(0, Clients - 1).Select(async c =>
        {
            for (var r = 0; !done.IsCancellationRequested || r < 2; r++)
            {
                shorts.Add(await CompleteAsync(service.Client, $"Short request {r} from client {c}: hello", ShortTokens));
            }
        }).Append(longClient));
        var seconds = clock.Elapsed.TotalSeconds;
        var mixed = (await TokenLatencies.ReadAsync(service.Client)).Since(afterAlone);
        return (idleResult, shortsOnly, Result.Of(shorts, seconds, mixed), Result.Of(longs, seconds, null));
    }

    /// <summary>One completion, not streamed (as a batch client asks): its latency.</summary>
    private static async Task<Timing> CompleteAsync(HttpClient client, string prompt, int tokens)
    {
        var body = JsonSerializer.Serialize(new { model = "gptj", prompt, max_tokens = tokens, temperature = 0, ignore_eos = true });
        var started = Stopwatch.GetTimestamp();
        using var response = await client.PostAsync("/openai/v1/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsByteArrayAsync();
        return new Timing(Stopwatch.GetElapsedTime(started).TotalSeconds, double.NaN, [], tokens);
    }

    /// <summary>One streamed completion: its latency, time to first token and the gaps between its tokens (one per event).</summary>
    private static async Task<Timing> StreamAsync(HttpClient client, string prompt, int tokens)
    {
        var body = JsonSerializer.Serialize(new { model = "gptj", prompt, max_tokens = tokens, temperature = 0, ignore_eos = true, stream = true });
        var started = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/openai/v1/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<long>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal) && line != "data: [DONE]")
            {
                events.Add(Stopwatch.GetTimestamp());
            }
        }

        var gaps = events.Zip(events.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a, b).TotalSeconds).ToList();
        return new Timing(Stopwatch.GetElapsedTime(started).TotalSeconds, events.Count > 0 ? Stopwatch.GetElapsedTime(started, events[0]).TotalSeconds : double.NaN, gaps, tokens);
    }

    private sealed record Timing(double Latency, double FirstToken, IReadOnlyList<double> Gaps, int Tokens);

    /// <summary>
    /// Tokens/s and latency as the clients saw them; time to first token and between tokens from the service's
    /// histograms over the scenario, or, with none, as the streaming client saw them.
    /// </summary>
    private sealed record Result(double TokensPerSecond, double P50, double P99, string Tokens)
    {
        public static Result Of(IReadOnlyCollection<Timing> timings, double seconds, TokenLatencies? service)
        {
            var latencies = timings.Select(t => t.Latency).ToList();
            var gaps = timings.SelectMany(t => t.Gaps).ToList();
            var tokens = service?.ToString() ?? string.Create(CultureInfo.InvariantCulture,
                $"TTFT p50 {Percentile(timings.Select(t => t.FirstToken), 0.5) * 1000:0} p99 {Percentile(timings.Select(t => t.FirstToken), 0.99) * 1000:0} ms, ITL p50 {Percentile(gaps, 0.5) * 1000:0.0} p99 {Percentile(gaps, 0.99) * 1000:0.0} ms (client)");
            return new(timings.Sum(t => t.Tokens) / seconds, Percentile(latencies, 0.5), Percentile(latencies, 0.99), tokens);
        }

        private static double Percentile(IEnumerable<double> values, double p)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length == 0 ? double.NaN : sorted[Math.Max(0, (int)Math.Ceiling(sorted.Length * p) - 1)];
        }
    }

    /// <summary>The service's time-to-first-token and inter-token histograms (cumulative buckets, sum, count) from <c>/metrics</c>.</summary>
    private sealed record TokenLatencies(Histogram FirstToken, Histogram BetweenTokens)
    {
        public static async Task<TokenLatencies> ReadAsync(HttpClient client)
        {
            // The Prometheus exporter answers from a cache for 300 ms after a scrape: a short scenario read sooner
            // would see the scrape before it.
            await Task.Delay(TimeSpan.FromMilliseconds(400));
            var text = await client.GetStringAsync("/metrics");
            return new(Histogram.Parse(text, "inference_request_time_to_first_token_seconds"), Histogram.Parse(text, "inference_request_inter_token_latency_seconds"));
        }

        public TokenLatencies Since(TokenLatencies before) => new(FirstToken.Since(before.FirstToken), BetweenTokens.Since(before.BetweenTokens));

        public override string ToString() => $"TTFT {FirstToken}, ITL {BetweenTokens} (service)";
    }

    private sealed record Histogram(IReadOnlyList<(double Bound, double Count)> Buckets, double Sum, double Count)
    {
        public static Histogram Parse(string metrics, string name)
        {
            var buckets = new List<(double, double)>();
            double sum = 0, count = 0;
            foreach (var line in metrics.Split('\n'))
            {
                var value = line.Split(' ') is { Length: >= 2 } parts && double.TryParse(parts[^1], CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
                if (line.StartsWith(name + "_bucket{", StringComparison.Ordinal))
                {
                    var le = line[(line.IndexOf("le=\"", StringComparison.Ordinal) + 4)..];
                    le = le[..le.IndexOf('"', StringComparison.Ordinal)];
                    buckets.Add((le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture), value));
                }
                else if (line.StartsWith(name + "_sum", StringComparison.Ordinal))
                {
                    sum = value;
                }
                else if (line.StartsWith(name + "_count", StringComparison.Ordinal))
                {
                    count = value;
                }
            }

            return new(buckets, sum, count);
        }

        public Histogram Since(Histogram before) =>
            new([.. Buckets.Select((b, i) => (b.Bound, b.Count - (i < before.Buckets.Count ? before.Buckets[i].Count : 0)))], Sum - before.Sum, Count - before.Count);

        /// <summary>The bucket bound the quantile falls under.</summary>
        private double Quantile(double p) => Buckets.FirstOrDefault(b => b.Count >= p * Count, (double.NaN, 0)).Bound;

        public override string ToString() => Count == 0 ? "none" : string.Create(CultureInfo.InvariantCulture,
            $"mean {Sum / Count * 1000:0.0} p50 ≤{Quantile(0.5) * 1000:0} p99 ≤{Quantile(0.99) * 1000:0} ms");
    }
}
