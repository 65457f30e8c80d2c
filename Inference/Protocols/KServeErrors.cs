using Inference.Serving;

namespace Inference.Protocols;

/// <summary>
/// KServe's error contract, shared by V1 and V2: a status code and <c>{"error": "..."}</c> with KServe's messages.
/// Applied once, to the route group of both (<see cref="WithKServeErrors{TBuilder}"/>): handlers throw, this answers.
/// </summary>
internal static class KServeErrors
{
    public static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);

    /// <summary>
    /// 503 with <c>Retry-After</c> (seconds), which KServe's and Knative's clients retry on; set only while the
    /// response has not started (a stream already under way cannot take a header).
    /// </summary>
    public static int RetryLater(HttpContext context, QueueFullException exception)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(exception);
        if (!context.Response.HasStarted)
        {
            context.Response.Headers.RetryAfter = exception.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return StatusCodes.Status503ServiceUnavailable;
    }

    private static IResult Busy(HttpContext context, QueueFullException exception) => Error(RetryLater(context, exception), exception.Message);

    /// <summary>Every endpoint of <paramref name="builder"/> answers its failures the KServe way (<see cref="For"/>).</summary>
    public static TBuilder WithKServeErrors<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.AddEndpointFilter(async (invocation, next) =>
        {
            try
            {
                return await next(invocation);
            }
            catch (Exception e)
            {
                return For(e, invocation.HttpContext);
            }
        });

    /// <summary>
    /// A failure the KServe way: 400 invalid input, 404 another model, 503 not loaded or busy, 413 too large, nothing
    /// when the client left, and 500 for anything else, <see cref="ArgumentException"/> included (logged; the body
    /// quotes the request id, see <see cref="InternalErrors"/>).
    /// </summary>
    public static IResult For(Exception exception, HttpContext context) => exception switch
    {
        InvalidRequestException e => Error(StatusCodes.Status400BadRequest, e.Message), // also invalid text in the body (RequestJson)
        ModelNotFoundException e => Error(StatusCodes.Status404NotFound, e.Message),
        ModelNotReadyException e => Error(StatusCodes.Status503ServiceUnavailable, e.Message),
        QueueFullException e => Busy(context, e),
        BadHttpRequestException e => Error(e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is too large." : e.Message),
        System.Text.Json.JsonException e => Error(StatusCodes.Status400BadRequest, $"Unrecognized request format: {e.Message}"),
        OperationCanceledException => Results.Empty, // the client left; nothing to answer
        _ => Error(StatusCodes.Status500InternalServerError, InternalErrors.Report(context, exception)),
    };
}
