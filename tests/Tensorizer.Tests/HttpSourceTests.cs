using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tensorizer.Format;
using Tensorizer.Reading;
using Tensorizer.Sources;
using Tensorizer.Sources.Http;

namespace Tensorizer.Tests;

/// <summary>HTTP reads against a real Kestrel server on 127.0.0.1, with injected faults.</summary>
public sealed class HttpSourceTests : IAsyncLifetime
{
    private const string Token = "secret-token";
    private readonly byte[] _file = BuildFile();
    private StubServer? _server;
    private int _requests;
    private int _cuts;

    private static HttpSourceOptions Fast => new() { RetryDelay = TimeSpan.FromMilliseconds(5) };

    public async Task InitializeAsync()
    {
        _server = await StubServer.StartAsync(app =>
        {
            app.MapGet("/model.tensors", () => Results.Bytes(_file, "application/octet-stream", enableRangeProcessing: true));
            app.MapGet("/flaky.tensors", () => Interlocked.Increment(ref _requests) % 3 == 2
                ? Results.StatusCode(503)
                : Results.Bytes(_file, "application/octet-stream", enableRangeProcessing: true));
            app.MapGet("/cut.tensors", (HttpContext context) => ServeRangeAsync(context, cutAfterHalf: true, lieAboutLength: false));
            app.MapGet("/short.tensors", (HttpContext context) => ServeRangeAsync(context, cutAfterHalf: false, lieAboutLength: true));
            app.MapGet("/no-range.tensors", () => Results.Bytes(_file, "application/octet-stream"));
            app.MapGet("/no-range-cut.tensors", NoRangeCutOnceAsync);
            app.MapGet("/redirect.tensors", () => Results.Redirect("/model.tensors"));
            app.MapGet("/private.tensors", (HttpContext context) => context.Request.Headers.Authorization == $"Bearer {Token}" && context.Request.Headers["X-Extra"] == "yes"
                ? Results.Bytes(_file, "application/octet-stream", enableRangeProcessing: true)
                : Results.StatusCode(401));
            app.MapGet("/changing.tensors", () => Results.Bytes(_file, "application/octet-stream", enableRangeProcessing: true,
                entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"v{Interlocked.Increment(ref _requests)}\"")));
        });
    }

    public async Task DisposeAsync() => await _server!.DisposeAsync();

    [Theory]
    [InlineData("/model.tensors")]
    [InlineData("/flaky.tensors")]
    [InlineData("/cut.tensors")]
    [InlineData("/short.tensors")]
    [InlineData("/redirect.tensors")]
    [InlineData("/no-range.tensors")]
    [InlineData("/no-range-cut.tensors")]
    public async Task Loads_byte_identical_to_a_local_load(string path)
    {
        var expected = await TestFiles.ReadAllAsync(_file);
        await using var source = await HttpSource.OpenAsync(Url(path), Fast);
        await using var file = await TensorFile.OpenAsync(source);

        var loaded = await file.ReadBytesAsync(options: new LoadOptions { Readers = 4, ChunkSize = 64 << 10, VerifyHashes = true });
        Assert.Equal(expected.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, bytes) in expected)
        {
            Assert.Equal(bytes, loaded[name]);
        }
    }

    [Fact]
    public async Task A_server_that_ignores_range_is_read_as_one_forward_stream()
    {
        await using var source = await HttpSource.OpenAsync(Url("/no-range.tensors"), Fast);
        Assert.IsType<HttpStreamSource>(source);
        Assert.Equal(1, source.MaxConcurrentReads);
    }

    [Fact]
    public async Task Bearer_token_and_extra_headers_are_sent()
    {
        await Assert.ThrowsAsync<TensorizerException>(() => HttpSource.OpenAsync(Url("/private.tensors"), Fast));
        var options = Fast with { BearerToken = Token, Headers = new Dictionary<string, string> { ["X-Extra"] = "yes" } };
        await using var source = await HttpSource.OpenAsync(Url("/private.tensors"), options);
        await using var file = await TensorFile.OpenAsync(source);
        Assert.Equal(5, file.Index.Count);
    }

    [Fact]
    public async Task A_file_that_changes_during_the_load_fails_clearly()
    {
        await using var source = await HttpSource.OpenAsync(Url("/changing.tensors"), Fast);
        var e = await Assert.ThrowsAsync<TensorizerException>(() => TensorFile.OpenAsync(source));
        Assert.Contains("changed during the load", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_files_and_unreachable_servers_are_clear_errors()
    {
        var missing = await Assert.ThrowsAsync<TensorizerException>(() => HttpSource.OpenAsync(Url("/absent.tensors"), Fast));
        Assert.Contains("404", missing.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<HttpRequestException>(() => HttpSource.OpenAsync(new Uri("http://127.0.0.1:1/model.tensors"), Fast));
    }

    [Fact]
    public async Task Locations_name_paths_files_and_urls_and_refuse_unknown_schemes()
    {
        await using (var http = await RangeSources.OpenAsync(Url("/model.tensors").ToString()))
        {
            Assert.Equal(_file.Length, http.Length);
        }

        var e = await Assert.ThrowsAsync<TensorizerUnsupportedException>(() => RangeSources.OpenAsync("ftp://example/model.tensors"));
        Assert.Contains("ftp://", e.Message, StringComparison.Ordinal);
    }

    private Uri Url(string path) => new(_server!.Address, path);

    /// <summary>
    /// Serves the requested range, but drops the connection after half of it, or declares more than it sends. A handler
    /// that ends short of its Content-Length makes Kestrel close the connection after sending what was written, so the
    /// client always holds the first half when the connection ends (an abort could discard bytes not yet sent).
    /// </summary>
    private async Task ServeRangeAsync(HttpContext context, bool cutAfterHalf, bool lieAboutLength)
    {
        var range = RangeHeaderValue.Parse(context.Request.Headers.Range.ToString()).Ranges.Single();
        var from = range.From!.Value;
        var to = Math.Min(range.To!.Value, _file.Length - 1);
        var length = to - from + 1;
        context.Response.StatusCode = 206;
        context.Response.Headers.ContentRange = $"bytes {from}-{to}/{_file.Length}";
        context.Response.ContentLength = length;
        var sent = length > 1 && (cutAfterHalf || lieAboutLength) ? length / 2 : length;
        await context.Response.Body.WriteAsync(_file.AsMemory((int)from, (int)sent));
    }

    /// <summary>No Range support, and the first response stops a third of the way in (closed as above).</summary>
    private async Task NoRangeCutOnceAsync(HttpContext context)
    {
        context.Response.ContentLength = _file.Length;
        var sent = Interlocked.Increment(ref _cuts) == 1 ? _file.Length / 3 : _file.Length;
        await context.Response.Body.WriteAsync(_file.AsMemory(0, sent));
    }

    private static byte[] BuildFile()
    {
        var builder = new RawFileBuilder();
        for (var i = 0; i < 5; i++)
        {
            builder.Add($"layer{i}.weight", "<f2", [300, 200], TestFiles.Bytes(120_000, seed: i));
        }

        return builder.Build();
    }
}
