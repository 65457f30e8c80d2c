using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Benchmarks.Support;

/// <summary>Kestrel on 127.0.0.1 serving one file with Range support (sendfile), for HTTP benchmarks.</summary>
internal sealed class LoopbackFileServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackFileServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public static async Task<LoopbackFileServer> StartAsync(string path)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/{name}", () => Results.File(path, "application/octet-stream", enableRangeProcessing: true));
        await app.StartAsync();
        return new LoopbackFileServer(app, new Uri(app.Urls.First() + "/" + Path.GetFileName(path)));
    }

    /// <summary>Serves every file of <paramref name="folder"/> by name; <see cref="Url"/> is the folder's base URL.</summary>
    public static async Task<LoopbackFileServer> StartFolderAsync(string folder)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/{name}", (string name) => Path.GetFileName(name) == name && File.Exists(Path.Combine(folder, name))
            ? Results.File(Path.Combine(folder, name), "application/octet-stream", enableRangeProcessing: true)
            : Results.NotFound());
        await app.StartAsync();
        return new LoopbackFileServer(app, new Uri(app.Urls.First() + "/"));
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
