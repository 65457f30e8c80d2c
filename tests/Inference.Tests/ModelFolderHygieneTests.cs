using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Checkpoints.Outputs;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Models.TinyModel;

namespace Inference.Tests;

/// <summary>
/// What the service leaves and what it loads: the embedded model's temporary folder is deleted once the load is over
/// (ready or failed), and a model folder without the converter's completion marker is loaded with a warning, or
/// refused with <c>REQUIRE_COMPLETE_MODEL=true</c>.
/// </summary>
public sealed class ModelFolderHygieneTests : IDisposable
{
    private readonly TempDirectory _root = new("inference-hygiene-");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task The_embedded_models_temporary_folder_is_deleted_once_loaded_and_generation_goes_on()
    {
        await using var server = await Server.StartAsync([]);
        var status = await server.WaitForAsync("ready");
        var folder = Path.GetDirectoryName(status.GetProperty("location").GetString())!;
        Assert.StartsWith("inference-tiny-gptj-", Path.GetFileName(folder), StringComparison.Ordinal);
        await WaitUntilGoneAsync(folder);

        var predict = await server.Client.PostAsync("/v1/models/gptj:predict", new StringContent(
            """{"instances": ["Once upon a time"], "parameters": {"max_new_tokens": 3, "do_sample": false}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)predict.StatusCode);
    }

    [Fact]
    public async Task The_embedded_models_temporary_folder_is_deleted_when_the_load_fails()
    {
        await using var server = await Server.StartAsync(new() { ["DEVICE"] = "cuda:99" }); // fails after the folder is written, with or without a GPU
        var status = await server.WaitForAsync("failed");
        var folder = Path.GetDirectoryName(status.GetProperty("location").GetString())!;
        Assert.StartsWith("inference-tiny-gptj-", Path.GetFileName(folder), StringComparison.Ordinal);
        await WaitUntilGoneAsync(folder);
    }

    [Fact]
    public async Task A_folder_without_a_completion_marker_loads_with_a_warning()
    {
        var folder = _root.File("unmarked");
        await TinyGptj.WriteAsync(folder);
        await using var server = await Server.StartAsync(new() { ["MODEL_PATH"] = folder });
        await server.WaitForAsync("ready");
        Assert.Contains(server.Logs, l => l.Level == LogLevel.Warning && l.Message.Contains(folder, StringComparison.Ordinal)
            && l.Message.Contains(CompletionMarker.FileName, StringComparison.Ordinal) && l.Message.Contains("REQUIRE_COMPLETE_MODEL", StringComparison.Ordinal));
        Assert.True(Directory.Exists(folder)); // the operator's folder is never deleted
    }

    [Fact]
    public async Task With_REQUIRE_COMPLETE_MODEL_a_folder_without_a_marker_is_refused_and_one_with_a_marker_loads()
    {
        var folder = _root.File("model");
        await TinyGptj.WriteAsync(folder);
        await using (var refused = await Server.StartAsync(new() { ["MODEL_PATH"] = folder, ["REQUIRE_COMPLETE_MODEL"] = "true" }))
        {
            var status = await refused.WaitForAsync("failed");
            Assert.Contains(CompletionMarker.FileName, status.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal(503, (int)(await refused.Client.GetAsync("/v2/health/ready")).StatusCode);
        }

        await File.WriteAllBytesAsync(Path.Combine(folder, CompletionMarker.FileName), new CompletionMarker("builtin://tiny-gptj", "tiny-gptj-1", "float16", 1, 1).ToJson());
        await using var accepted = await Server.StartAsync(new() { ["MODEL_PATH"] = folder, ["REQUIRE_COMPLETE_MODEL"] = "true" });
        await accepted.WaitForAsync("ready");
        Assert.DoesNotContain(accepted.Logs, l => l.Level >= LogLevel.Warning && l.Message.Contains(CompletionMarker.FileName, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_REQUIRE_COMPLETE_MODEL_that_is_not_a_boolean_stops_the_start()
    {
        await using var app = Startup.Build(["--urls", "http://127.0.0.1:0"], builder => builder.Configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["MODEL_PATH"] = TinyGptj.Location, ["REQUIRE_COMPLETE_MODEL"] = "maybe" }));
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("REQUIRE_COMPLETE_MODEL", error.Message, StringComparison.Ordinal);
    }

    private static async Task WaitUntilGoneAsync(string folder)
    {
        // Deleted as the load ends, which is just after the status changes: a bounded wait, not a timing assertion.
        for (var deadline = DateTime.UtcNow.AddSeconds(30); Directory.Exists(folder) && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(20);
        }

        Assert.False(Directory.Exists(folder), $"{folder} is still there.");
    }

    /// <summary>The real service on 127.0.0.1 with its log captured.</summary>
    private sealed class Server : IAsyncDisposable, ILoggerProvider
    {
        private readonly WebApplication _app;

        private Server(Dictionary<string, string?> settings)
        {
            settings.TryAdd("EXIT_ON_LOAD_FAILURE", "false");
            settings.TryAdd("MODEL_PATH", TinyGptj.Location);
            _app = Startup.Build(["--urls", "http://127.0.0.1:0"], builder =>
            {
                builder.Configuration.AddInMemoryCollection(settings);
                builder.Logging.AddProvider(this);
            });
        }

        public ConcurrentQueue<(LogLevel Level, string Message)> Logs { get; } = new();

        public HttpClient Client { get; private set; } = null!;

        public static async Task<Server> StartAsync(Dictionary<string, string?> settings)
        {
            var server = new Server(settings);
            await server._app.StartAsync();
            server.Client = new HttpClient { BaseAddress = new Uri(server._app.Urls.First()), Timeout = TimeSpan.FromMinutes(2) };
            return server;
        }

        public async Task<JsonElement> WaitForAsync(string phase)
        {
            for (var deadline = DateTime.UtcNow.AddMinutes(2); DateTime.UtcNow < deadline; await Task.Delay(50))
            {
                var status = await Client.GetFromJsonAsync<JsonElement>("/status");
                if (status.GetProperty("phase").GetString() is "ready" or "failed")
                {
                    Assert.Equal(phase, status.GetProperty("phase").GetString());
                    return status;
                }
            }

            throw new TimeoutException($"The load did not end within 2 minutes (waiting for {phase}).");
        }

        public async ValueTask DisposeAsync()
        {
            Client?.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        ILogger ILoggerProvider.CreateLogger(string categoryName) => new Capture(Logs);

        void IDisposable.Dispose()
        {
        }

        private sealed class Capture(ConcurrentQueue<(LogLevel, string)> logs) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logs.Enqueue((logLevel, formatter(state, exception)));
        }
    }
}
