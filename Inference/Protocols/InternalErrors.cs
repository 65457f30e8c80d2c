using Microsoft.AspNetCore.Http.Features;

namespace Inference.Protocols;

/// <summary>
/// Failures that are the server's fault (500): logged in full, exception included, under the request's id; the
/// client gets a short message quoting that id, never exception types, messages or native stack frames. The id is
/// the request's W3C trace id (what the logs and traces carry, and the caller's own when it sent a <c>traceparent</c>),
/// or <see cref="HttpContext.TraceIdentifier"/> where no trace is recorded.
/// </summary>
internal static partial class InternalErrors
{
    /// <summary>Logs <paramref name="exception"/> and returns the message for the client.</summary>
    public static string Report(HttpContext context, Exception exception)
    {
        var id = RequestId(context);
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(InternalErrors).FullName!);
        LogFailed(logger, exception, context.Request.Method, context.Request.Path, id);
        return $"Internal server error (request id {id}).";
    }

    public static string RequestId(HttpContext context) =>
        context.Features.Get<IHttpActivityFeature>()?.Activity is { } activity && activity.TraceId != default
            ? activity.TraceId.ToHexString()
            : context.TraceIdentifier;

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed (request id {RequestId})")]
    private static partial void LogFailed(ILogger logger, Exception exception, string method, string path, string requestId);
}
