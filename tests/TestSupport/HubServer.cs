using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace TestSupport;

/// <summary>
/// A model hub on 127.0.0.1 that answers like the Hugging Face Hub (model info with blobs and LFS sha256,
/// <c>resolve</c> with a 302 to a CDN path for LFS files, Range) and ModelScope (recursive file listing with sha256,
/// the repo file API, Range). Faults can be injected per file: a connection dropped part way, or corrupted bytes.
/// </summary>
public sealed class HubServer : IAsyncDisposable
{
    private const int LfsThreshold = 1024; // files above this are LFS files, as git-lfs tracks weights
    private static readonly JsonSerializerOptions PascalCase = new(); // ModelScope's field names, unlike ASP.NET's camelCase default

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Repo> _repos = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _dropAfter = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _corrupt = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _stallAfter = new(StringComparer.Ordinal);

    private HubServer(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>When set, API and resolve requests need <c>Authorization: Bearer</c> this token (the CDN needs none).</summary>
    public string? RequiredToken { get; set; }

    /// <summary>When set, Range headers are ignored: every download is the whole file with 200, as some mirrors do.</summary>
    public bool IgnoreRanges { get; set; }

    /// <summary>Every request: method, path and query, Range and whether it carried a token.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public static async Task<HubServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new HubServer(app);
        server.Map(app);
        await app.StartAsync();
        server.Endpoint = new Uri(app.Urls.First() + "/");
        return server;
    }

    /// <summary>Serves every file under <paramref name="folder"/> as repository <paramref name="id"/> at <paramref name="commit"/>.</summary>
    public void AddRepository(string id, string commit, string folder, IReadOnlyDictionary<string, byte[]>? extraFiles = null)
    {
        var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(folder, f).Replace('\\', '/'), File.ReadAllBytes, StringComparer.Ordinal);
        foreach (var (name, bytes) in extraFiles ?? new Dictionary<string, byte[]>())
        {
            files[name] = bytes;
        }

        _repos[id] = new Repo(commit, files);
    }

    /// <summary>The next download of <paramref name="path"/> stops after <paramref name="bytes"/> bytes, the connection aborted.</summary>
    public void DropOnce(string repository, string path, long bytes) => _dropAfter[$"{repository}/{path}"] = bytes;

    /// <summary>The next download of <paramref name="path"/> sends <paramref name="bytes"/> bytes, then nothing, holding the connection open.</summary>
    public void StallOnce(string repository, string path, long bytes) => _stallAfter[$"{repository}/{path}"] = bytes;

    /// <summary>Downloads of <paramref name="path"/> serve one flipped byte; listings keep the true hash.</summary>
    public void Corrupt(string repository, string path) => _corrupt[$"{repository}/{path}"] = true;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            Requests.Enqueue($"{request.Method} {request.Path}{request.QueryString} range={request.Headers.Range} auth={request.Headers.Authorization.Count > 0}");
            var cdn = request.Path.StartsWithSegments("/cdn", StringComparison.Ordinal);
            if (!cdn && RequiredToken is not null && request.Headers.Authorization != $"Bearer {RequiredToken}")
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                await context.Response.WriteAsJsonAsync(new { error = "Invalid credentials in Authorization header" });
                return;
            }

            await next(context);
        });

        // Hugging Face Hub.
        app.MapGet("/api/models/{org}/{name}/revision/{revision}", (string org, string name, string revision) =>
            Find(org, name, revision) is not { } repo
                ? Results.Json(new { error = "Repository not found" }, statusCode: 404)
                : Results.Json(new
                {
                    id = $"{org}/{name}",
                    sha = repo.Commit,
                    siblings = repo.Files.Select(f => new
                    {
                        rfilename = f.Key,
                        size = f.Value.LongLength,
                        blobId = GitBlobId(f.Value),
                        lfs = f.Value.Length > LfsThreshold ? new { sha256 = Sha256(f.Value), size = f.Value.LongLength, pointerSize = 134 } : null,
                    }),
                }));
        app.MapGet("/{org}/{name}/resolve/{revision}/{**path}", async (string org, string name, string revision, string path, HttpContext context) =>
        {
            if (Find(org, name, revision) is not { } repo || !repo.Files.TryGetValue(path, out var bytes))
            {
                context.Response.StatusCode = 404;
            }
            else if (bytes.Length > LfsThreshold)
            {
                context.Response.Redirect($"/cdn/{Sha256(bytes)}?file={Uri.EscapeDataString(path)}&org={org}&name={name}");
            }
            else
            {
                await ServeAsync(context, $"{org}/{name}/{path}", bytes);
            }
        });
        app.MapGet("/cdn/{sha}", async (string sha, string file, string org, string name, HttpContext context) =>
        {
            if (Find(org, name, null) is { } repo && repo.Files.TryGetValue(file, out var bytes) && Sha256(bytes) == sha)
            {
                await ServeAsync(context, $"{org}/{name}/{file}", bytes);
            }
            else
            {
                context.Response.StatusCode = 404;
            }
        });

        // ModelScope.
        app.MapGet("/api/v1/models/{org}/{name}/repo/files", (string org, string name, string? revision) =>
            Find(org, name, revision ?? "master") is not { } repo
                ? Results.Json(new { Code = 10010205001, Message = "model not found", Success = false }, PascalCase, statusCode: 404)
                : Results.Json(new
                {
                    Code = 200,
                    Data = new
                    {
                        Files = repo.Files.Keys.SelectMany(Directories).Distinct().Select(d => (object)new { Name = d.Split('/')[^1], Path = d, Type = "tree", Size = 0 })
                            .Concat(repo.Files.Select(f => new { Name = f.Key.Split('/')[^1], Path = f.Key, Type = "blob", Size = f.Value.LongLength, Sha256 = Sha256(f.Value), Revision = repo.Commit })),
                    },
                    Success = true,
                }, PascalCase));
        app.MapGet("/api/v1/models/{org}/{name}/repo", async (string org, string name, HttpContext context) =>
        {
            var path = context.Request.Query["FilePath"].ToString();
            if (Find(org, name, context.Request.Query["Revision"]) is { } repo && repo.Files.TryGetValue(path, out var bytes))
            {
                await ServeAsync(context, $"{org}/{name}/{path}", bytes);
            }
            else
            {
                context.Response.StatusCode = 404;
            }
        });
    }

    private Repo? Find(string org, string name, string? revision) =>
        _repos.TryGetValue($"{org}/{name}", out var repo) && (revision is null or "main" or "master" || revision == repo.Commit) ? repo : null;

    /// <summary>The bytes from the requested Range on, with the injected faults.</summary>
    private async Task ServeAsync(HttpContext context, string key, byte[] bytes)
    {
        long start = 0;
        long end = bytes.Length - 1;
        if (!IgnoreRanges && RangeHeaderValue.TryParse(context.Request.Headers.Range, out var range) && range.Ranges.Single().From is { } from && from < bytes.Length)
        {
            (start, end) = (from, Math.Min(range.Ranges.Single().To ?? end, end));
            context.Response.StatusCode = StatusCodes.Status206PartialContent;
            context.Response.Headers.ContentRange = $"bytes {start}-{end}/{bytes.Length}";
        }

        var body = bytes[(int)start..(int)(end + 1)];
        if (_corrupt.ContainsKey(key))
        {
            body[body.Length / 2] ^= 0xFF;
        }

        context.Response.ContentLength = body.Length;
        context.Response.Headers.AcceptRanges = "bytes";
        if (_dropAfter.TryRemove(key, out var limit) && limit < body.Length)
        {
            await context.Response.Body.WriteAsync(body.AsMemory(0, (int)limit));
            await context.Response.Body.FlushAsync();
            context.Abort();
            return;
        }

        if (_stallAfter.TryRemove(key, out var stall) && stall < body.Length)
        {
            await context.Response.Body.WriteAsync(body.AsMemory(0, (int)stall));
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return;
        }

        await context.Response.Body.WriteAsync(body);
    }

    private static IEnumerable<string> Directories(string path)
    {
        var parts = path.Split('/');
        for (var i = 1; i < parts.Length; i++)
        {
            yield return string.Join('/', parts[..i]);
        }
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

#pragma warning disable CA5350 // git names blobs by sha1: an identity the Hub publishes, not a security measure
    private static string GitBlobId(byte[] bytes) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {bytes.Length}\0"), .. bytes]));
#pragma warning restore CA5350

    private sealed record Repo(string Commit, Dictionary<string, byte[]> Files);
}
