using Inference.Serving;

namespace Inference.Protocols.OpenAI;

/// <summary>
/// OpenAI's error contract: <c>{"error": {"message", "type", "param", "code"}}</c> with a 4xx/5xx status. Applied once,
/// to the route group of every OpenAI endpoint (<see cref="WithOpenAIErrors{TBuilder}"/>), and to a stream already
/// started (<see cref="EventStream.RunAsync"/>): handlers throw, this answers.
/// </summary>
internal static class OpenAIErrors
{
    private const string InvalidRequest = "invalid_request_error";

    private const string ServerError = "server_error";

    /// <summary>Every endpoint of <paramref name="builder"/> answers its failures OpenAI's way (<see cref="For"/>).</summary>
    public static TBuilder WithOpenAIErrors<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.AddEndpointFilter(async (invocation, next) =>
        {
            try
            {
                return await next(invocation);
            }
            catch (OperationCanceledException)
            {
                return Results.Empty; // the client left; nothing to answer
            }
            catch (Exception e)
            {
                var (status, error) = For(e, invocation.HttpContext);
                return Results.Json(new ErrorResponse(error), OpenAIJson.Options, statusCode: status);
            }
        });

    /// <summary>
    /// The status and OpenAI error for a failure other than cancellation: 400 invalid input, 404 another model, 503
    /// not loaded or busy, 413 too large, and 500 for anything else, <see cref="ArgumentException"/> included (logged
    /// first; the message quotes the request id, see <see cref="InternalErrors"/>).
    /// </summary>
    public static (int Status, ErrorDetail Error) For(Exception exception, HttpContext context) => exception switch
    {
        InvalidRequestException e => Invalid(e.Message, e.Param, e.Code ?? "invalid_value"),
        System.Text.Json.JsonException e => Invalid($"We could not parse the JSON body of your request: {e.Message}", null, "invalid_json"),
        ModelNotFoundException e => (StatusCodes.Status404NotFound, new($"The model `{e.Name}` does not exist.", InvalidRequest, "model", "model_not_found")),
        ModelNotReadyException e => (StatusCodes.Status503ServiceUnavailable, new(e.Message, ServerError, "model", "model_not_ready")),
        QueueFullException e => (KServeErrors.RetryLater(context, e), new(e.Message, ServerError, null, "server_busy")),
        BadHttpRequestException e => (e.StatusCode, new(
            e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is too large." : e.Message, e.StatusCode >= 500 ? ServerError : InvalidRequest, null, null)),
        _ => (StatusCodes.Status500InternalServerError, new(InternalErrors.Report(context, exception), ServerError, null, "internal_error")),
    };

    private static (int, ErrorDetail) Invalid(string message, string? param, string code) =>
        (StatusCodes.Status400BadRequest, new(message, InvalidRequest, param, code));
}
