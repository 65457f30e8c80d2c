using Inference.Serving;

namespace Inference.Protocols.OpenAI;

/// <summary>A request OpenAI's way refuses: the HTTP status and the fields of its <c>{"error": {…}}</c> body.</summary>
internal sealed class OpenAIException(int status, string message, string? param = null, string? code = null, string? type = null) : Exception(message)
{
    public int Status { get; } = status;

    public string Type { get; } = type ?? (status >= 500 ? "server_error" : "invalid_request_error");

    public string? Param { get; } = param;

    public string? Code { get; } = code;

    public static OpenAIException Invalid(string message, string? param, string code = "invalid_value") =>
        new(StatusCodes.Status400BadRequest, message, param, code);
}

/// <summary>OpenAI's error contract: <c>{"error": {"message", "type", "param", "code"}}</c> with a 4xx/5xx status.</summary>
internal static class OpenAIErrors
{
    public static IResult Error(OpenAIException e) => Error(e.Status, e.Message, e.Type, e.Param, e.Code);

    public static IResult Error(int status, string message, string type, string? param, string? code) =>
        Results.Json(Body(message, type, param, code), OpenAIJson.Options, statusCode: status);

    public static ErrorResponse Body(string message, string type, string? param, string? code) => new(new ErrorDetail(message, type, param, code));

    public static OpenAIException ModelNotFound(string name) => new(
        StatusCodes.Status404NotFound, $"The model `{name}` does not exist.", "model", "model_not_found");

    /// <summary>
    /// Runs a handler, mapping every failure to OpenAI's error body: 400 invalid, 503 busy or loading, 500 anything
    /// else (logged; the message quotes the request id, see <see cref="InternalErrors"/>).
    /// </summary>
    public static async Task<IResult> HandleAsync(HttpContext context, Func<Task<IResult>> handle)
    {
        try
        {
            return await handle();
        }
        catch (OperationCanceledException)
        {
            return Results.Empty; // the client left; nothing to answer
        }
        catch (Exception e)
        {
            return Error(ToOpenAI(e, context));
        }
    }

    /// <summary>The OpenAI error for a failure other than cancellation; an unexpected one is logged first.</summary>
    public static OpenAIException ToOpenAI(Exception e, HttpContext context) => e switch
    {
        OpenAIException openAI => openAI,
        System.Text.Json.JsonException json => OpenAIException.Invalid($"We could not parse the JSON body of your request: {json.Message}", null, "invalid_json"),
        BadHttpRequestException bad => new(bad.StatusCode, bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is too large." : bad.Message),
        InvalidRequestException invalid => OpenAIException.Invalid(invalid.Message, invalid.Param),
        ArgumentException => OpenAIException.Invalid(e.Message, null),
        QueueFullException => new(StatusCodes.Status503ServiceUnavailable, e.Message, null, "server_busy"),
        _ => new(StatusCodes.Status500InternalServerError, InternalErrors.Report(context, e), null, "internal_error"),
    };
}
