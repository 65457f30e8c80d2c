using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json;

namespace Benchmarks.Serving;

/// <summary>
/// The inference service started as the real program, on 127.0.0.1 and a free port, as an operator runs it: its own
/// process, so its start-up, its memory and a native crash are its own, not the benchmark's. The program is the
/// Inference project's own build output (<c>dotnet Inference.dll</c>, beside its runtimeconfig and native
/// libraries), which building the benchmarks builds first.
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
        var start = StartInfo(InferenceAssembly, "--urls", $"http://127.0.0.1:{port}");
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

    /// <summary>The Inference program's assembly, from the path the build compiled in (see build/ProjectOutputPaths.targets).</summary>
    public static string InferenceAssembly =>
        typeof(ServiceProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "InferenceAssembly")?.Value is { } path
        && File.Exists(path)
            ? path
            : throw new FileNotFoundException("The Inference program was not found where the build put it; build the benchmarks with dotnet build (it builds Inference too).");

    /// <summary>This program again with <paramref name="arguments"/> (a measurement in a fresh process).</summary>
    public static ProcessStartInfo StartInfoForThisProgram(params string[] arguments) =>
        StartInfo(typeof(ServiceProcess).Assembly.Location, arguments);

    /// <summary><c>dotnet ASSEMBLY arguments…</c>, with the same host that runs this program, standard output redirected.</summary>
    private static ProcessStartInfo StartInfo(string assembly, params string[] arguments)
    {
        var dotnet = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet"
            ? Environment.ProcessPath!
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var start = new ProcessStartInfo(dotnet) { UseShellExecute = false, RedirectStandardOutput = true };
        start.ArgumentList.Add(assembly);
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
