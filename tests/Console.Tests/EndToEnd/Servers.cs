using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace AdminConsole.Tests.EndToEnd;

/// <summary>The console and the real inference service, each in-process on 127.0.0.1.</summary>
internal static class Servers
{
    /// <summary>A port free now, for a server that must be named before it starts (the console polls it while it is down).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// The console on a free port, in Development (its static web assets come from the build output);
    /// <paramref name="configure"/> adds to the builder (a clock the test moves).
    /// </summary>
    public static async Task<WebApplication> StartConsoleAsync(Dictionary<string, string?> settings, Action<WebApplicationBuilder>? configure = null)
    {
        var app = ConsoleApp.Build(
            ["--urls", "http://127.0.0.1:0", "--environment", "Development"],
            builder =>
            {
                builder.Configuration.AddInMemoryCollection(settings);
                configure?.Invoke(builder);
            });
        await app.StartAsync();
        return app;
    }

    /// <summary>The inference service on the embedded tiny GPT-J; not waited for: the console is to watch it load.</summary>
    public static async Task<WebApplication> StartInferenceAsync(int port)
    {
        // As the service's Program starts it: libtorch loading before requests arrive. dlopen of its 400 MB holds
        // the dynamic loader's lock, which stalls the first requests of a process for a second or more.
        await Tensorizer.Torch.TorchRuntime.Preload();
        var app = Inference.Startup.Build(
            ["--urls", $"http://127.0.0.1:{port}"],
            builder => builder.Configuration.AddInMemoryCollection(
                new Dictionary<string, string?> { ["EXIT_ON_LOAD_FAILURE"] = "false", ["MODEL_PATH"] = Models.TinyModel.TinyGptj.Location }));
        await app.StartAsync();
        return app;
    }

    public static Uri Address(WebApplication app) => new(app.Urls.First());
}
