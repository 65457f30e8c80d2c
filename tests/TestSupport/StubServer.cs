using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace TestSupport;

/// <summary>A minimal Kestrel server on 127.0.0.1 whose endpoints a test defines: a stand-in for a service or the Kubernetes API.</summary>
public sealed class StubServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StubServer(WebApplication app) => _app = app;

    public Uri Address => new(_app.Urls.First());

    public static async Task<StubServer> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return new StubServer(app);
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
