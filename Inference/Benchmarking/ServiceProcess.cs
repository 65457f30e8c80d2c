using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Inference.Benchmarking;

/// <summary>
/// This program started again as the real service, on 127.0.0.1 and a free port, as an operator runs it: its own
/// process, so its start-up, its memory and a native crash are its own, not the benchmark's.
/// </summary>
internal sealed class ServiceProcess : IDisposable
{
    private readonly Process _process;

    private ServiceProcess(Process process, int port)
    {
        _process = process;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(5) };
    }

    public HttpClient Client { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>When the process was started (a <see cref="Stopwatch"/> timestamp).</summary>
    public long StartedAt { get; private init; }

    /// <summary>Resident memory now, from /proc; NaN once exited.</summary>
    public double RssMiB
    {
        get
        {
            try
            {
                var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
            }
            catch (IOException)
            {
                return double.NaN;
            }
        }
    }

    /// <summary>Starts the service with <paramref name="environment"/> (MODEL_PATH, DTYPE, …) added to this one's.</summary>
    public static ServiceProcess Start(IReadOnlyDictionary<string, string> environment, bool showLog = false)
    {
        var port = FreePort();
        var start = StartInfoForThisProgram("--urls", $"http://127.0.0.1:{port}");
        start.RedirectStandardError = true;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var startedAt = Stopwatch.GetTimestamp();
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (showLog && e.Data is not null)
            {
                Console.Out.WriteLine($"    [service] {e.Data}");
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"    [service] {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServiceProcess(process, port) { StartedAt = startedAt };
    }

    /// <summary>Polls <c>/status</c> until ready; returns the final status and how long after the start it was seen ready.</summary>
    public async Task<(JsonElement Status, TimeSpan SinceStart)> WaitUntilReadyAsync()
    {
        while (!_process.HasExited)
        {
            try
            {
                var status = await Client.GetFromJsonAsync<JsonElement>("/status");
                switch (status.GetProperty("phase").GetString())
                {
                    case "ready":
                        return (status, Stopwatch.GetElapsedTime(StartedAt));
                    case "failed":
                        throw new InvalidOperationException($"The service failed to load its model: {status.GetProperty("error")}");
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(10);
        }

        throw new InvalidOperationException($"The service exited with {_process.ExitCode} before it was ready.");
    }

    public void Dispose()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    /// <summary>This program again with <paramref name="arguments"/>: the apphost directly, or <c>dotnet Inference.dll</c>.</summary>
    public static ProcessStartInfo StartInfoForThisProgram(params string[] arguments)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ServiceProcess).Assembly.Location);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
