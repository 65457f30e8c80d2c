using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.S3;
using Tensorizer.Sources.S3;

namespace TestSupport;

/// <summary>
/// A real <c>moto_server</c> (moto 5.2.1, an S3 emulator) on 127.0.0.1 and a free port, as a child process killed with
/// its whole tree on dispose. Missing from PATH is a test failure, never a skip: CI installs it.
/// </summary>
public sealed class MotoServerFixture : IAsyncLifetime
{
    private const int MaxLogLines = 200;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly IReadOnlyList<string> _arguments;
    private readonly bool _https;
    private readonly Queue<string> _log = new();
    private Process? _process;

    public MotoServerFixture()
        : this(new Dictionary<string, string>(), [], https: false)
    {
    }

    private MotoServerFixture(IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> arguments, bool https)
    {
        _environment = environment;
        _arguments = arguments;
        _https = https;
    }

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Another server for one test, e.g. with IAM auth on (<c>INITIAL_NO_AUTH_ACTION_COUNT=0</c>) or TLS.</summary>
    public static async Task<MotoServerFixture> StartAsync(
        IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? arguments = null, bool https = false)
    {
        var server = new MotoServerFixture(environment ?? new Dictionary<string, string>(), arguments ?? [], https);
        await server.InitializeAsync();
        return server;
    }

    /// <summary>Settings for this server; moto accepts any keys unless IAM auth is on.</summary>
    public S3Settings Settings(string accessKeyId = "testing", string secretAccessKey = "testing") => new()
    {
        Endpoint = Endpoint,
        AccessKeyId = accessKeyId,
        SecretAccessKey = secretAccessKey,
        MaxErrorRetry = 1,
    };

    public IAmazonS3 CreateClient(string accessKeyId = "testing", string secretAccessKey = "testing") =>
        S3ClientFactory.Create(Settings(accessKeyId, secretAccessKey));

    /// <summary>A bucket of its own for each test, so tests never see each other's objects or uploads.</summary>
    public static async Task<string> CreateBucketAsync(IAmazonS3 client)
    {
        var bucket = $"test-{Guid.NewGuid():N}";
        await client.PutBucketAsync(bucket);
        return bucket;
    }

    public async Task InitializeAsync()
    {
        // A port can be taken between probing it and moto binding it: try a few.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            Endpoint = new Uri($"{(_https ? "https" : "http")}://127.0.0.1:{port}");
            Start(port);
            try
            {
                if (await WaitUntilAnsweringAsync())
                {
                    return;
                }
            }
            catch
            {
                await KillAsync(); // nobody disposes a fixture whose start failed
                throw;
            }

            await KillAsync();
            if (attempt == 3)
            {
                throw new InvalidOperationException($"moto_server did not start on 127.0.0.1; its last output:\n{Log()}");
            }
        }
    }

    public Task DisposeAsync() => KillAsync();

    private void Start(int port)
    {
        var start = new ProcessStartInfo("moto_server")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["-H", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. _arguments])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in _environment)
        {
            start.Environment[name] = value;
        }

        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("moto_server did not start.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                "moto_server is not on PATH, and the S3 tests need it: install it with pip install 'moto[server]==5.2.1'.", e);
        }

        _process.OutputDataReceived += (_, line) => Remember(line.Data);
        _process.ErrorDataReceived += (_, line) => Remember(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Polls until moto answers HTTP at all (with IAM auth on, an unsigned request gets an error); false if it exited first.</summary>
    private async Task<bool> WaitUntilAnsweringAsync()
    {
        using var handler = new HttpClientHandler();
#pragma warning disable CA5359 // Only the TLS test server's self-signed certificate reaches here.
        handler.ServerCertificateCustomValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (_process!.HasExited)
            {
                return false;
            }

            try
            {
                using var response = await http.GetAsync(Endpoint);
                return true;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"moto_server did not answer on {Endpoint} within {StartTimeout.TotalSeconds} s; its output:\n{Log()}");
    }

    private async Task KillAsync()
    {
        if (_process is null)
        {
            return;
        }

        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Enqueue(line);
            if (_log.Count > MaxLogLines)
            {
                _log.Dequeue();
            }
        }
    }

    private string Log()
    {
        lock (_log)
        {
            return string.Join('\n', _log);
        }
    }
}
