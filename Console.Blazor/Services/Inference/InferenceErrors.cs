using System.Text.Json;

namespace AdminConsole.Services.Inference;

/// <summary>Failures talking to a service, as messages an operator can act on.</summary>
internal static class InferenceErrors
{
    /// <summary>
    /// The plain-words form of a transport failure, or null to let it pass (the caller's own cancellation, or an
    /// <see cref="InferenceException"/> already). A cancellation the caller did not ask for is the call's deadline.
    /// </summary>
    public static InferenceException? Describe(Exception e, string name, Uri address, TimeSpan timeout, CancellationToken caller) => e switch
    {
        InferenceException => null,
        OperationCanceledException when caller.IsCancellationRequested => null,
        OperationCanceledException => new InferenceException($"{name} ({address}) did not answer within {timeout.TotalSeconds:0.#} s.", e),
        HttpRequestException http => new InferenceException($"{name} ({address}) is unreachable: {http.Message}", e),
        JsonException json => new InferenceException($"{name} answered with JSON the console does not understand: {json.Message}", e),
        IOException io => new InferenceException($"{name} closed the connection: {io.Message}", e),
        _ => null,
    };

    /// <summary>The error a service sent: KServe's <c>{"error": "…"}</c>, OpenAI's <c>{"error": {"message": "…"}}</c>, or the raw text.</summary>
    public static async Task<InferenceException> FromResponseAsync(HttpResponseMessage response, string name, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var status = (int)response.StatusCode;
        return new InferenceException($"{name} answered {status} {response.ReasonPhrase}: {MessageOf(text)}") { StatusCode = status };
    }

    /// <summary>The message inside an error body, whichever protocol wrote it.</summary>
    public static string MessageOf(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error))
            {
                return error.ValueKind == JsonValueKind.String ? error.GetString()!
                    : error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var message) ? message.ToString()
                    : error.ToString();
            }
        }
        catch (JsonException)
        {
            // not JSON: show it as it came
        }

        return string.IsNullOrWhiteSpace(body) ? "(no details)" : body.Trim();
    }
}
