using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tensorizer.Format;
using Tensorizer.Reading;
using Tensorizer.Sources.Http;

namespace Tensorizer.Tests;

/// <summary>
/// The very first request of a load retries like every later one: against a loopback Kestrel whose endpoints fail
/// their first requests in each transient way, and answer 404/403 for good.
/// </summary>
public sealed class HttpOpenRetryTests : IAsyncLifetime
{
    private readonly byte[] _file = new RawFileBuilder().Add("w", "<f4", [1000], TestFiles.Bytes(4000)).Build();
    private readonly ConcurrentDictionary<string, int> _requests = new();
    private StubServer? _server;

    private static HttpSourceOptions Fast => new() { RetryDelay = TimeSpan.FromMilliseconds(5) };

    public async Task InitializeAsync()
    {
        _server = await StubServer.StartAsync(app => app.MapGet("/{name}", ServeAsync));
    }

    public async Task DisposeAsync() => await _server!.DisposeAsync();

    [Theory]
    [InlineData("busy")]
    [InlineData("bad-gateway")]
    [InlineData("throttled")]
    [InlineData("dropped")]
    [InlineData("stalled")]
    public async Task Opens_after_two_failed_first_requests(string kind)
    {
        var options = Fast with { RequestTimeout = TimeSpan.FromMilliseconds(300) };
        await using var source = await HttpSource.OpenAsync(Url(kind), options);
        await using var file = await TensorFile.OpenAsync(source);

        var loaded = await file.ReadBytesAsync(options: new LoadOptions { VerifyHashes = true });
        Assert.Equal(await TestFiles.ReadAllAsync(_file), loaded);
        Assert.True(_requests[kind] >= 3, $"{_requests[kind]} requests");
    }

    [Fact]
    public async Task Honours_retry_after_up_to_the_cap()
    {
        // Retry-After: 1 is waited (the backoff alone would be 5 ms); a day-long one is cut to the cap. The clock
        // records each wait the retries ask for and lets it pass at once.
        var clock = new RecordingClock();
        await using (await HttpSource.OpenAsync(Url("throttled"), Fast with { TimeProvider = clock }))
        {
            Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)], clock.Waits);
        }

        clock.Waits.Clear();
        await using (await HttpSource.OpenAsync(Url("throttled-for-a-day"), Fast with { MaxRetryDelay = TimeSpan.FromMilliseconds(20), TimeProvider = clock }))
        {
            Assert.Equal([TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(20)], clock.Waits);
        }
    }

    [Theory]
    [InlineData("absent", "404")]
    [InlineData("forbidden", "403")]
    public async Task Missing_or_forbidden_fails_at_once(string kind, string status)
    {
        var e = await Assert.ThrowsAsync<TensorizerException>(() => HttpSource.OpenAsync(Url(kind), Fast));
        Assert.Contains(status, e.Message, StringComparison.Ordinal);
        Assert.Equal(1, _requests[kind]);
    }

    [Fact]
    public async Task Gives_up_after_max_attempts()
    {
        var e = await Assert.ThrowsAnyAsync<HttpRequestException>(() => HttpSource.OpenAsync(Url("always-busy"), Fast with { MaxAttempts = 3 }));
        Assert.Contains("503", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, _requests["always-busy"]);
    }

    private Uri Url(string name) => new(_server!.Address, name);

    /// <summary>Records the due time of every timer (each a wait between attempts) and fires it at once.</summary>
    private sealed class RecordingClock : TimeProvider
    {
        public List<TimeSpan> Waits { get; } = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (Waits)
            {
                Waits.Add(dueTime);
            }

            return base.CreateTimer(callback, state, TimeSpan.Zero, period);
        }
    }

    /// <summary>Fails the first two requests to each name as the name says, then serves the file with Range.</summary>
    private async Task ServeAsync(HttpContext context, string name)
    {
        var count = _requests.AddOrUpdate(name, 1, (_, n) => n + 1);
        if (count <= 2 || name.StartsWith("always", StringComparison.Ordinal) || name is "absent" or "forbidden")
        {
            switch (name)
            {
                case "busy" or "always-busy":
                    context.Response.StatusCode = 503;
                    return;
                case "bad-gateway":
                    context.Response.StatusCode = 502;
                    return;
                case "throttled" or "throttled-for-a-day":
                    context.Response.StatusCode = 429;
                    context.Response.Headers.RetryAfter = name == "throttled" ? "1" : "86400";
                    return;
                case "dropped":
                    context.Abort();
                    return;
                case "stalled":
                    await Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                    return;
                case "absent":
                    context.Response.StatusCode = 404;
                    return;
                case "forbidden":
                    context.Response.StatusCode = 403;
                    return;
            }
        }

        await Results.Bytes(_file, "application/octet-stream", enableRangeProcessing: true).ExecuteAsync(context);
    }
}
