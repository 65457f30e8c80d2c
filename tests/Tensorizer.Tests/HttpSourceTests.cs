using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Tensorizer.Format;
using Tensorizer.Reading;
using Tensorizer.Sources;

namespace Tensorizer.Tests;

/// <summary>HTTP range reads against a real Kestrel server on 127.0.0.1, with injected faults.</summary>
public sealed class HttpSourceTests : IAsyncLifetime
{
    private readonly byte[] _file = BuildFile();
    private WebApplication? _server;
    private int _requests;

    private Uri Url(string path) => new(_server!.Urls.First() + path);

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _server = builder.Build();
        _server.MapGet("/model.tensors", () => Results.Bytes(_file, "application/octet-stream", enableRangeProcessing: true));
        _server.MapGet("/flaky.tensors", (HttpContext context) => Interlocked.Increment(ref _requests) % 3 == 2
            ? Results.StatusCode(503)
            : Results.Bytes(_file, "application/octet-stream", enableRangeProcessing: true));
        _server.MapGet("/cut.tensors", CutAfterHalfAsync);
        _server.MapGet("/no-range.tensors", () => Results.Bytes(_file, "application/octet-stream"));
        await _server.StartAsync();
    }

    public async Task DisposeAsync() => await _server!.DisposeAsync();

    [Theory]
    [InlineData("/model.tensors")]
    [InlineData("/flaky.tensors")]
    [InlineData("/cut.tensors")]
    public async Task Loads_byte_identical_to_a_local_load(string path)
    {
        var expected = await TestFiles.ReadAllAsync(_file);
        await using var source = await HttpRangeSource.OpenAsync(Url(path));
        await using var file = await TensorFile.OpenAsync(source);

        var loaded = await file.ReadBytesAsync(options: new LoadOptions { Readers = 4, ChunkSize = 64 << 10, VerifyHashes = true });
        Assert.Equal(expected.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, bytes) in expected)
        {
            Assert.Equal(bytes, loaded[name]);
        }
    }

    [Fact]
    public async Task A_server_that_ignores_range_is_refused_clearly()
    {
        var e = await Assert.ThrowsAsync<TensorizerUnsupportedException>(() => HttpRangeSource.OpenAsync(Url("/no-range.tensors")));
        Assert.Contains("ignores Range", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Locations_name_paths_files_and_urls_and_refuse_unknown_schemes()
    {
        await using (var http = await RangeSources.OpenAsync(Url("/model.tensors").ToString()))
        {
            Assert.Equal(_file.Length, http.Length);
        }

        await Assert.ThrowsAsync<TensorizerUnsupportedException>(() => RangeSources.OpenAsync("ftp://example/model.tensors"));
    }

    /// <summary>Serves the requested range but drops the connection after half of it, every time.</summary>
    private async Task CutAfterHalfAsync(HttpContext context)
    {
        var range = RangeHeaderValue.Parse(context.Request.Headers.Range.ToString()).Ranges.Single();
        var from = range.From!.Value;
        var to = Math.Min(range.To!.Value, _file.Length - 1);
        context.Response.StatusCode = 206;
        context.Response.Headers.ContentRange = $"bytes {from}-{to}/{_file.Length}";
        context.Response.ContentLength = to - from + 1;
        var half = (int)Math.Max(1, (to - from + 1) / 2);
        await context.Response.Body.WriteAsync(_file.AsMemory((int)from, half));
        await context.Response.Body.FlushAsync();
        if (half < to - from + 1)
        {
            await Task.Delay(50); // let the half reach the client before the reset discards it
            context.Abort();
        }
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
