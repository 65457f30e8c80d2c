using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Inference.Benchmarking;

/// <summary>
/// <c>Inference soak [--requests N] [--clients C] [--max-tokens T] [MODEL_PATH]</c>: the operator's reliability check.
/// Starts the service as its own process on 127.0.0.1 (so a native crash shows as that process dying, not as this
/// one), then sends the crash repro — greedy OpenAI completions of "The quick brown fox" — N times from one client,
/// then N times from C clients at once, printing requests, errors and the service's RSS every 10 s. Exits 1 on any
/// 5xx, failed request or death of the service.
/// </summary>
internal static class SoakBenchmark
{
    private static readonly TimeSpan ReportEvery = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string[] args)
    {
        var (requests, clients, maxTokens, modelPath) = Parse(args);
        var port = FreePort();
        using var service = StartService(port, modelPath);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(5) };
            await WaitUntilReadyAsync(client, service);
            Console.Out.WriteLine($"service pid {service.Id} ready on :{port} ({modelPath ?? "embedded tiny GPT-J"}), RSS {RssMiB(service):0} MiB");
            var failures = 0;
            foreach (var concurrency in new[] { 1, clients })
            {
                failures += await PhaseAsync(client, service, requests, concurrency, maxTokens);
            }

            Console.Out.WriteLine(failures == 0 && !service.HasExited ? "PASS: no errors, service alive" : $"FAIL: {failures} failed requests{(service.HasExited ? $", service exited with {service.ExitCode}" : "")}");
            return failures == 0 && !service.HasExited ? 0 : 1;
        }
        finally
        {
            if (!service.HasExited)
            {
                service.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>Sends <paramref name="requests"/> completions from <paramref name="concurrency"/> clients; returns the failures.</summary>
    private static async Task<int> PhaseAsync(HttpClient client, Process service, int requests, int concurrency, int maxTokens)
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
                var outcome = await CompleteAsync(client, maxTokens);
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
    }

    private static void Report(Stopwatch clock, int ok, int failed, Process service) =>
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {clock.Elapsed.TotalSeconds,7:0}s  {ok,6} ok  {failed,4} failed  {ok / Math.Max(clock.Elapsed.TotalSeconds, 1e-9),6:0.0} req/s  RSS {RssMiB(service),6:0} MiB{(service.HasExited ? $"  SERVICE EXITED ({service.ExitCode})" : "")}"));

    private static Process StartService(int port, string? modelPath)
    {
        // Run this same program again as the service: the apphost directly, or `dotnet Inference.dll`.
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(SoakBenchmark).Assembly.Location);
        }

        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        if (modelPath is not null)
        {
            start.Environment["MODEL_PATH"] = modelPath;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { }; // the service's own log: drained, not shown
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"[service] {e.Data}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitUntilReadyAsync(HttpClient client, Process service)
    {
        while (!service.HasExited)
        {
            try
            {
                var phase = (await client.GetFromJsonAsync<JsonElement>("/status")).GetProperty("phase").GetString();
                if (phase == "ready")
                {
                    return;
                }

                if (phase == "failed")
                {
                    throw new InvalidOperationException("The service failed to load its model.");
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(200);
        }

        throw new InvalidOperationException($"The service exited with {service.ExitCode} before it was ready.");
    }

    private static double RssMiB(Process service)
    {
        try
        {
            var line = File.ReadLines($"/proc/{service.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException)
        {
            return double.NaN; // exited
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";

    private static (int Requests, int Clients, int MaxTokens, string? ModelPath) Parse(string[] args)
    {
        var (requests, clients, maxTokens, modelPath) = (1000, 8, 200, (string?)null);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--requests": requests = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--clients": clients = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--max-tokens": maxTokens = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: modelPath = args[i]; break;
            }
        }

        return (requests, clients, maxTokens, modelPath);
    }
}
