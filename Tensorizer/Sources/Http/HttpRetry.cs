using System.Net;

namespace Tensorizer.Sources.Http;

/// <summary>
/// The one retry policy for every HTTP request of a load, the opening one included: what is transient (5xx, 429,
/// 408, dropped connections, timeouts) and how long to wait (Retry-After when the server says, else doubling backoff,
/// both capped by <see cref="HttpSourceOptions.MaxRetryDelay"/>).
/// </summary>
internal static class HttpRetry
{
    /// <summary>Throws a retryable error for a response worth repeating; other statuses are the caller's to judge.</summary>
    public static void ThrowIfTransient(HttpResponseMessage response, string location)
    {
        var status = (int)response.StatusCode;
        if (status >= 500 || response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout)
        {
            throw new TransientHttpException($"{location}: HTTP {status} {response.ReasonPhrase}", response.StatusCode, RetryAfter(response));
        }
    }

    public static bool IsTransient(Exception e, CancellationToken cancellationToken) =>
        e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>Waits before retry number <paramref name="failures"/> (1 for the first).</summary>
    public static Task DelayAsync(Exception e, int failures, HttpSourceOptions options, CancellationToken cancellationToken)
    {
        var backoff = options.RetryDelay * Math.Pow(2, Math.Min(failures - 1, 30));
        var delay = e is TransientHttpException { RetryAfter: { } retryAfter } ? retryAfter : backoff;
        return Task.Delay(delay < options.MaxRetryDelay ? delay : options.MaxRetryDelay, options.TimeProvider, cancellationToken);
    }

    /// <summary>Retry-After as seconds or an HTTP date; null when absent.</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };
}

/// <summary>A response worth repeating (5xx, 429, 408), with the wait the server asked for.</summary>
internal sealed class TransientHttpException(string message, HttpStatusCode status, TimeSpan? retryAfter)
    : HttpRequestException(message, null, status)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
