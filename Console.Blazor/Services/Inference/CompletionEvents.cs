using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace AdminConsole.Services.Inference;

/// <summary>
/// OpenAI completion and chat completion responses: a whole one, or server-sent events (<c>data: {json}</c>, blank line, … <c>data: [DONE]</c>),
/// each event yielded as soon as its blank line arrives. An error event mid-stream becomes an exception.
/// </summary>
internal static class CompletionEvents
{
    private const string DataPrefix = "data:";

    public static async IAsyncEnumerable<CompletionChunk> ReadAsync(
        HttpResponseMessage response, string name, Uri address, TimeSpan timeout, CancellationToken deadline, [EnumeratorCancellation] CancellationToken caller)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(deadline));
        var data = new List<string>();
        while (await ReadLineAsync(reader, name, address, timeout, deadline, caller) is { } line)
        {
            if (line.StartsWith(DataPrefix, StringComparison.Ordinal))
            {
                data.Add(line[DataPrefix.Length..].TrimStart(' '));
                continue;
            }

            if (line.Length > 0 || data.Count == 0)
            {
                continue; // comments, other fields, keep-alive blank lines
            }

            var payload = string.Join('\n', data);
            data.Clear();
            if (payload == "[DONE]")
            {
                yield break;
            }

            yield return Chunk(Parse(payload, name), name);
        }

        throw new InferenceException($"{name} ended the stream without [DONE].");
    }

    /// <summary>
    /// A completion or chat completion response or event: the first choice's text (a completion's <c>text</c>, a chat
    /// event's <c>delta.content</c>, a whole chat reply's <c>message.content</c>) and finish reason, and usage when present.
    /// </summary>
    public static CompletionChunk Chunk(JsonObject response, string name)
    {
        if (response["error"] is not null)
        {
            throw new InferenceException($"{name}: {InferenceErrors.MessageOf(response.ToJsonString())}");
        }

        var choice = response["choices"] is JsonArray { Count: > 0 } choices ? choices[0] : null;
        var tokens = response["usage"]?["completion_tokens"]?.GetValue<int>();
        return new CompletionChunk(
            (choice?["text"] ?? choice?["delta"]?["content"] ?? choice?["message"]?["content"])?.GetValue<string>() ?? "",
            choice?["finish_reason"]?.GetValue<string>(),
            tokens);
    }

    private static JsonObject Parse(string payload, string name)
    {
        try
        {
            return JsonNode.Parse(payload) as JsonObject ?? throw new InferenceException($"{name} sent an event that is not a JSON object: {payload}");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InferenceException($"{name} sent an event that is not JSON: {payload}", e);
        }
    }

    private static async Task<string?> ReadLineAsync(StreamReader reader, string name, Uri address, TimeSpan timeout, CancellationToken deadline, CancellationToken caller)
    {
        try
        {
            return await reader.ReadLineAsync(deadline);
        }
        catch (Exception e) when (InferenceErrors.Describe(e, name, address, timeout, caller) is { } error)
        {
            throw error;
        }
    }
}
