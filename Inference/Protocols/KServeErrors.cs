using Inference.Hosting;
using Inference.Serving;

namespace Inference.Protocols;

/// <summary>KServe's error contract, shared by V1 and V2: a status code and <c>{"error": "..."}</c> with KServe's messages.</summary>
internal static class KServeErrors
{
    public static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);

    public static IResult ModelNotFound(string name) => Error(StatusCodes.Status404NotFound, $"Model with name {name} does not exist.");

    public static IResult ModelNotReady(string name) => Error(StatusCodes.Status503ServiceUnavailable, $"Model with name {name} is not ready.");

    /// <summary>The model named in the path must be ours and loaded: 404, 503, or null to go on.</summary>
    public static IResult? CheckModel(ModelHost host, string name) =>
        name != host.ModelName ? ModelNotFound(name) : host.IsReady ? null : ModelNotReady(name);

    /// <summary>
    /// Runs a request body, mapping failures the KServe way: 400 invalid input, 503 busy, 500 anything else (logged;
    /// the body quotes the request id, see <see cref="InternalErrors"/>).
    /// </summary>
    public static async Task<IResult> HandleAsync(HttpContext context, Func<Task<IResult>> handle)
    {
        try
        {
            return await handle();
        }
        catch (InvalidRequestException e) // also invalid text in the body (RequestJson)
        {
            return Error(StatusCodes.Status400BadRequest, e.Message);
        }
        catch (ArgumentException e)
        {
            return Error(StatusCodes.Status400BadRequest, e.Message);
        }
        catch (QueueFullException e)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, e.Message);
        }
        catch (BadHttpRequestException e)
        {
            return Error(e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is too large." : e.Message);
        }
        catch (System.Text.Json.JsonException e)
        {
            return Error(StatusCodes.Status400BadRequest, $"Unrecognized request format: {e.Message}");
        }
        catch (OperationCanceledException)
        {
            return Results.Empty; // the client left; nothing to answer
        }
        catch (Exception e)
        {
            return Error(StatusCodes.Status500InternalServerError, InternalErrors.Report(context, e));
        }
    }
}
