using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tensorizer.Format;
using Tensorizer.Sources.S3;

namespace Tensorizer.Tests;

/// <summary>
/// Opening an S3 object (its HEAD) goes through the same SDK client, and so the same standard-mode retries, as every
/// range read. moto cannot fail on demand, so a loopback endpoint answers the S3 way: 503, 500 or 429 (SlowDown) for the
/// first two HEADs, then the object; 404 and 403 for good.
/// </summary>
public sealed class S3OpenRetryTests : IAsyncLifetime
{
    private const long ObjectLength = 12345;
    private readonly ConcurrentDictionary<string, int> _requests = new();
    private StubServer? _server;

    public async Task InitializeAsync()
    {
        _server = await StubServer.StartAsync(app => app.Map("/bucket/{key}", Serve));
    }

    public async Task DisposeAsync() => await _server!.DisposeAsync();

    [Theory]
    [InlineData("busy")]
    [InlineData("internal")]
    [InlineData("slow-down")]
    public async Task Opens_after_two_failed_heads(string key)
    {
        await using var source = await S3RangeSource.OpenAsync(Client(), S3Location.Parse($"s3://bucket/{key}"), ownsClient: true);
        Assert.Equal(ObjectLength, source.Length);
        Assert.Equal(3, _requests[key]);
    }

    [Theory]
    [InlineData("absent", "no such key")]
    [InlineData("forbidden", "access denied")]
    public async Task Missing_or_forbidden_fails_without_retrying(string key, string message)
    {
        var e = await Assert.ThrowsAsync<TensorizerException>(() => S3RangeSource.OpenAsync(Client(), S3Location.Parse($"s3://bucket/{key}"), ownsClient: true));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(2, _requests[key]); // the HEAD, and the one-byte GET that names the cause
    }

    private Amazon.S3.IAmazonS3 Client() => S3ClientFactory.Create(new S3Settings
    {
        Endpoint = _server!.Address,
        AccessKeyId = "testing",
        SecretAccessKey = "testing",
    });

    private IResult Serve(HttpContext context, string key)
    {
        var count = _requests.AddOrUpdate(key, 1, (_, n) => n + 1);
        var failing = count <= 2 || key is "absent" or "forbidden";
        return (failing ? key : "ok") switch
        {
            "busy" => Error(503, "ServiceUnavailable"),
            "internal" => Error(500, "InternalError"),
            "slow-down" => Error(429, "SlowDown"),
            "absent" => Error(404, "NoSuchKey"),
            "forbidden" => Error(403, "AccessDenied"),
            _ => Object(context),
        };
    }

    private static IResult Object(HttpContext context)
    {
        context.Response.Headers.ETag = "\"0123456789abcdef\"";
        context.Response.Headers.LastModified = DateTimeOffset.UnixEpoch.ToString("R");
        context.Response.ContentLength = ObjectLength;
        return Results.Empty;
    }

    private static IResult Error(int status, string code) => Results.Content(
        $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{code}</Message></Error>",
        "application/xml",
        statusCode: status);
}
