using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;

namespace Benchmarks.Serving;

/// <summary>
/// <c>soak [--requests N] [--clients C] [--max-tokens T] [MODEL_PATH]</c>: the operator's reliability check.
/// Starts the service as its own process on 127.0.0.1 (so a native crash shows as that process dying, not as this
/// one), then sends the crash repro — greedy OpenAI completions of "The quick brown fox" — N times from one client,
/// then N times from C clients at once, printing requests, errors and the service's RSS every 10 s. Exits 1 on any
/// 5xx, failed request or death of the service.
/// </summary>
internal static class SoakBenchmark
{
    private static readonly TimeSpan ReportEvery = TimeSpan.FromSeconds(10);

    public static Command Create()
    {
        var requests = new Option<int>("--requests") { Description = "Requests in each phase.", DefaultValueFactory = _ => 1000 };
        var clients = new Option<int>("--clients") { Description = "Concurrent clients in the second phase.", DefaultValueFactory = _ => 8 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "max_tokens of each completion.", DefaultValueFactory = _ => 200 };
        var modelPath = new Argument<string?>("MODEL_PATH") { Description = "A model folder (or s3://…) to serve; by default the embedded tiny GPT-J.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("soak", "The reliability check: the crash repro sent N times from one client, then from C at once; fails on any error.")
        {
            requests, clients, maxTokens, modelPath,
        };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(requests), parse.GetValue(clients), parse.GetValue(maxTokens), parse.GetValue(modelPath)));
        return command;
    }

    private static async Task<int> RunAsync(int requests, int clients, int maxTokens, string? modelPath)
    {
        using var service = ServiceProcess.Start(new Dictionary<string, string> { ["MODEL_PATH"] = modelPath ?? Checkpoints.Sources.BuiltinSource.TinyGptj });
        await service.WaitUntilReadyAsync();
        Console.Out.WriteLine($"service pid {service.Id} ready ({modelPath ?? "embedded tiny GPT-J"}), RSS {service.RssMiB:0} MiB");
        var failures = 0;
        foreach (var concurrency in new[] { 1, clients })
        {
            failures += await PhaseAsync(service, requests, concurrency, maxTokens);
        }

        Console.Out.WriteLine(failures == 0 && !service.HasExited ? "PASS: no errors, service alive" : $"FAIL: {failures} failed requests{(service.HasExited ? $", service exited with {service.ExitCode}" : "")}");
        return failures == 0 && !service.HasExited ? 0 : 1;
    }

    /// <summary>Sends <paramref name="requests"/> completions from <paramref name="concurrency"/> clients; returns the failures.</summary>
    private static async Task<int> PhaseAsync(ServiceProcess service, int requests, int concurrency, int maxTokens)
    {
        Console.Out.WriteLine($"{requests} requests from {concurrency} client(s), max_tokens {maxTokens}, temperature 0");
        var (sent, ok, failed) = (0, 0, 0);
        var errors = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var clock = Stopwatch.StartNew();
        using var reporting = new CancellationTokenSource();
        var reporter = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(ReportEvery);
            while (await timer.WaitForNextTickAsync(reporting.Token).ConfigureAwait(false))
            {
                Report(clock, ok, failed, service);
            }
        });
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref sent) <= requests && !service.HasExited)
            {
                var outcome = await CompleteAsync(service.Client, maxTokens);
                if (outcome is null)
                {
                    Interlocked.Increment(ref ok);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    errors.AddOrUpdate(outcome, 1, (_, n) => n + 1);
                }
            }
        }));
        await reporting.CancelAsync();
        await reporter.ContinueWith(_ => { }, TaskScheduler.Default);
        Report(clock, ok, failed, service);
        foreach (var (error, count) in errors)
        {
            Console.Out.WriteLine($"  {count} × {error}");
        }

        return failed + (service.HasExited ? 1 : 0);
    }

    /// <summary>One repro request; null when it succeeded, else what went wrong.</summary>
    private static async Task<string?> CompleteAsync(HttpClient client, int maxTokens)
    {
        try
        {
            using var response = await client.PostAsJsonAsync("/openai/v1/completions", new { model = "gptj", prompt = "The quick brown fox", max_tokens = maxTokens, temperature = 0 });
            return response.IsSuccessStatusCode ? null : $"{(int)response.StatusCode} {Truncate(await response.Content.ReadAsStringAsync())}";
        }
        catch (HttpRequestException e)
        {
            return $"no answer: {e.Message}";
        }
        catch (TaskCanceledException)
        {
            return "no answer within the client's timeout";
        }
    }

    private static void Report(Stopwatch clock, int ok, int failed, ServiceProcess service) =>
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {clock.Elapsed.TotalSeconds,7:0}s  {ok,6} ok  {failed,4} failed  {ok / Math.Max(clock.Elapsed.TotalSeconds, 1e-9),6:0.0} req/s  RSS {service.RssMiB,6:0} MiB{(service.HasExited ? $"  SERVICE EXITED ({service.ExitCode})" : "")}"));

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
