using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Models.TinyModel;
using Tensorizer.Configuration;

namespace Inference.Tests;

/// <summary>The real inference service on 127.0.0.1 (a free port), by default with the embedded tiny GPT-J, ready when started.</summary>
public sealed class InferenceServer : IAsyncLifetime
{
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<WebApplicationBuilder>? _configure;
    private readonly Action<WebApplication>? _map;
    private WebApplication? _app;

    public InferenceServer() : this(new Dictionary<string, string?>())
    {
    }

    private InferenceServer(Dictionary<string, string?> settings, Action<WebApplicationBuilder>? configure = null, Action<WebApplication>? map = null) =>
        (_settings, _configure, _map) = (settings, configure, map);

    public HttpClient Client { get; private set; } = null!;

    public Uri BaseAddress => Client.BaseAddress!;

    /// <summary>The running service's services (the model host, the scheduler).</summary>
    internal IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("The server is not started.");

    /// <summary>
    /// Another server with its own settings (MODEL_PATH, QUEUE_CAPACITY, …); waits for readiness unless told not to.
    /// <paramref name="configure"/> adds to the builder (a log sink), <paramref name="map"/> maps test-only endpoints.
    /// </summary>
    public static async Task<InferenceServer> StartAsync(
        Dictionary<string, string?> settings, bool waitUntilReady = true, Action<WebApplicationBuilder>? configure = null, Action<WebApplication>? map = null)
    {
        var server = new InferenceServer(settings, configure, map);
        await server.StartAsync(waitUntilReady);
        return server;
    }

    public Task InitializeAsync() => StartAsync(waitUntilReady: true);

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync(); // as the host shuts down in production: the batch in flight finishes first
            await _app.DisposeAsync();
        }
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    private async Task StartAsync(bool waitUntilReady)
    {
        _settings.TryAdd(SettingNames.ExitOnLoadFailure, "false");
        _settings.TryAdd(SettingNames.ModelPath, TinyGptj.Location); // asked for by name: the host's environment is Production
        _app = Startup.Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(_settings);
            _configure?.Invoke(builder);
        });
        _map?.Invoke(_app);
        await _app.StartAsync();
        Client = new HttpClient { BaseAddress = new Uri(_app.Urls.First()), Timeout = TimeSpan.FromMinutes(2) };
        if (!waitUntilReady)
        {
            return;
        }

        var status = await WaitForPhaseAsync("ready", "failed");
        if (status.GetProperty("phase").GetString() == "failed")
        {
            throw new InvalidOperationException($"The model failed to load: {status.GetProperty("error")}");
        }
    }

    /// <summary>
    /// <c>/status</c> once its phase is one of <paramref name="phases"/>: polled until then, the two minutes only a bound
    /// for a load that never gets there.
    /// </summary>
    public async Task<JsonElement> WaitForPhaseAsync(params string[] phases)
    {
        for (var deadline = DateTime.UtcNow.AddMinutes(2); DateTime.UtcNow < deadline; await Task.Delay(50))
        {
            var status = await Client.GetFromJsonAsync<JsonElement>("/status");
            if (phases.Contains(status.GetProperty("phase").GetString()))
            {
                return status;
            }
        }

        throw new TimeoutException($"The model's phase did not become {string.Join(" or ", phases)} within 2 minutes.");
    }
}
