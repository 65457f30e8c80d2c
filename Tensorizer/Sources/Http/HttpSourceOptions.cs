namespace Tensorizer.Sources.Http;

/// <summary>How to reach a model over HTTP(S).</summary>
public sealed record HttpSourceOptions
{
    /// <summary>Sent as <c>Authorization: Bearer …</c> (e.g. a Hugging Face token). Dropped on cross-host redirects.</summary>
    public string? BearerToken { get; init; }

    /// <summary>Extra request headers.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Attempts per request before giving up (5xx, 429, timeouts, dropped connections), the opening request included;
    /// a range read resumes where the last attempt stopped.
    /// </summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Delay before the first retry; doubles each time.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait between attempts, a server's Retry-After included (one asking for hours is not waited out).</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Limit for one request, headers through last byte.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The clock the waits between attempts run on (a test's records them instead of waiting).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>A client to use (tests, custom handlers); by default one with a large connection pool is created.</summary>
    public HttpClient? Client { get; init; }

    public static HttpSourceOptions Default { get; } = new();
}
