using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Inference.Tests;

/// <summary>Requests to the OpenAI endpoints and a strict reader of their server-sent events.</summary>
internal static class OpenAIClient
{
    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public static async Task<(int Status, JsonElement Body)> PostAsync(InferenceServer server, string path, string body)
    {
        using var response = await server.Client.PostAsync(path, Json(body));
        return ((int)response.StatusCode, await InferenceServer.JsonAsync(response));
    }

    /// <summary>
    /// The events of a streamed response, checked as OpenAI clients parse them: each event is one <c>data: </c> line
    /// and a blank line, every payload is JSON, and the last is <c>[DONE]</c> (not returned).
    /// </summary>
    public static async Task<List<JsonElement>> StreamAsync(InferenceServer server, string path, string body)
    {
        using var response = await server.Client.PostAsync(path, Json(body));
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
        var events = text.Split("\n\n")[..^1]; // the text ends with a separator: the last piece is empty
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        Assert.All(events, e => Assert.DoesNotContain('\n', e));
        Assert.Equal("data: [DONE]", events[^1]);
        return [.. events[..^1].Select(e =>
        {
            using var document = JsonDocument.Parse(e["data: ".Length..]);
            return document.RootElement.Clone();
        })];
    }

    /// <summary>Opens a stream and returns as soon as the headers arrive, to read event by event.</summary>
    public static async Task<HttpResponseMessage> OpenStreamAsync(InferenceServer server, string path, string body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(body) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        return await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }
}
