using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Benchmarks.Support;

/// <summary><c>moto_server</c> (an S3 emulator) on 127.0.0.1 and a free port, for the S3 benchmark.</summary>
internal sealed class MotoServer : IDisposable
{
    private readonly Process _process;

    private MotoServer(Process process, Uri endpoint)
    {
        _process = process;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public static async Task<MotoServer> StartAsync(CancellationToken ct)
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var start = new ProcessStartInfo("moto_server", ["-H", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var process = Process.Start(start) ?? throw new InvalidOperationException("moto_server did not start.");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new MotoServer(process, new Uri($"http://127.0.0.1:{port}"));
            using var http = new HttpClient();
            for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(200, ct))
            {
                try
                {
                    using var response = await http.GetAsync(server.Endpoint, ct);
                    return server;
                }
                catch (HttpRequestException)
                {
                    // not up yet
                }
            }

            server.Dispose();
            throw new TimeoutException("moto_server did not answer within 60 s.");
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
