using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace AdminConsole.Services.Inference;

/// <summary>
/// An inference service over HTTP. Every call has its own deadline (a short one for status, a long one for prompts)
/// and every failure becomes an <see cref="InferenceException"/> with a message fit to show.
/// </summary>
public sealed class InferenceClient(string name, HttpClient http, TimeSpan statusTimeout, TimeSpan generationTimeout) : IInferenceClient
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public string Name => name;

    public Uri Address => http.BaseAddress!;

    public async Task<ServiceStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        using var deadline = Deadline(statusTimeout, cancellationToken);
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "status"), HttpCompletionOption.ResponseContentRead, statusTimeout, deadline.Token, cancellationToken);
        return await ReadAsync<ServiceStatus>(response, statusTimeout, deadline.Token, cancellationToken);
    }

    public async Task<string> GetModelAsync(CancellationToken cancellationToken)
    {
        using var deadline = Deadline(statusTimeout, cancellationToken);
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "v1/models"), HttpCompletionOption.ResponseContentRead, statusTimeout, deadline.Token, cancellationToken);
        var list = await ReadAsync<JsonObject>(response, statusTimeout, deadline.Token, cancellationToken);
        return list["models"] is JsonArray { Count: > 0 } models && models[0]?.GetValue<string>() is { } model
            ? model
            : throw new InferenceException($"{name} lists no model.");
    }

    public async Task<string> PredictAsync(string model, string prompt, GenerationSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var parameters = new JsonObject
        {
            ["max_new_tokens"] = settings.MaxTokens,
            ["do_sample"] = settings.Temperature > 0, // V1 has no greedy temperature: sampling off is greedy
            ["top_p"] = settings.TopP,
            ["top_k"] = settings.TopK,
            ["return_full_text"] = false,
        };
        if (settings.Temperature > 0)
        {
            parameters["temperature"] = settings.Temperature;
        }

        if (settings.Seed is { } seed)
        {
            parameters["seed"] = seed;
        }

        var body = new JsonObject { ["instances"] = new JsonArray(prompt), ["parameters"] = parameters };
        using var deadline = Deadline(generationTimeout, cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1/models/{Uri.EscapeDataString(model)}:predict") { Content = JsonContent.Create(body) };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, generationTimeout, deadline.Token, cancellationToken);
        var result = await ReadAsync<JsonObject>(response, generationTimeout, deadline.Token, cancellationToken);
        return result["predictions"] is JsonArray { Count: > 0 } predictions && predictions[0] is JsonValue text
            ? text.GetValue<string>()
            : throw new InferenceException($"{name} answered without predictions: {result.ToJsonString()}");
    }

    public async IAsyncEnumerable<CompletionChunk> CompleteAsync(
        string model, string prompt, GenerationSettings settings, bool stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var body = OpenAIBody(model, settings, stream);
        body["prompt"] = prompt;
        await foreach (var chunk in OpenAIAsync("v1/completions", body, stream, cancellationToken))
        {
            yield return chunk;
        }
    }

    public async IAsyncEnumerable<CompletionChunk> ChatAsync(
        string model, IReadOnlyList<ChatMessage> messages, GenerationSettings settings, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var body = OpenAIBody(model, settings, stream: true);
        body["messages"] = new JsonArray([.. messages.Select(m => new JsonObject { ["role"] = m.Role, ["content"] = m.Content })]);
        await foreach (var chunk in OpenAIAsync("v1/chat/completions", body, stream: true, cancellationToken))
        {
            yield return chunk;
        }
    }

    /// <summary>The generation settings as OpenAI's completions and chat completions both take them.</summary>
    private static JsonObject OpenAIBody(string model, GenerationSettings settings, bool stream)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var body = new JsonObject
        {
            ["model"] = model,
            ["max_tokens"] = settings.MaxTokens,
            ["temperature"] = settings.Temperature,
            ["top_p"] = settings.TopP,
            ["stream"] = stream,
        };
        if (settings.TopK > 0)
        {
            body["top_k"] = settings.TopK;
        }

        if (settings.Seed is { } seed)
        {
            body["seed"] = seed;
        }

        if (stream)
        {
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        return body;
    }

    private async IAsyncEnumerable<CompletionChunk> OpenAIAsync(string path, JsonObject body, bool stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var deadline = Deadline(generationTimeout, cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, generationTimeout, deadline.Token, cancellationToken);
        if (!stream)
        {
            yield return CompletionEvents.Chunk(await ReadAsync<JsonObject>(response, generationTimeout, deadline.Token, cancellationToken), name);
            yield break;
        }

        await foreach (var chunk in CompletionEvents.ReadAsync(response, name, Address, generationTimeout, deadline.Token, cancellationToken))
        {
            yield return chunk;
        }
    }

    private static CancellationTokenSource Deadline(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(timeout);
        return source;
    }

    /// <summary>Sends, and turns an unreachable service, a timeout or an error status into a plain message.</summary>
    private async Task<HttpResponseMessage> SendAsync(
        HttpRequestMessage request, HttpCompletionOption completion, TimeSpan timeout, CancellationToken deadline, CancellationToken caller)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, completion, deadline);
        }
        catch (Exception e) when (InferenceErrors.Describe(e, name, Address, timeout, caller) is { } error)
        {
            throw error;
        }
        finally
        {
            request.Dispose();
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await InferenceErrors.FromResponseAsync(response, name, deadline);
        }
    }

    private async Task<T> ReadAsync<T>(HttpResponseMessage response, TimeSpan timeout, CancellationToken deadline, CancellationToken caller)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, deadline)
                ?? throw new InferenceException($"{name} answered with an empty body.");
        }
        catch (Exception e) when (InferenceErrors.Describe(e, name, Address, timeout, caller) is { } error)
        {
            throw error;
        }
    }
}
