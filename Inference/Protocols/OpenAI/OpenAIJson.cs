using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Inference.Protocols.OpenAI;

/// <summary>The OpenAI wire objects (snake_case, nulls written: the spec requires <c>"logprobs": null</c> and a null <c>finish_reason</c> mid-stream).</summary>
internal static class OpenAIJson
{
    public const string OwnedBy = "tensorizer-dotnet";

    /// <summary>snake_case; text as it is (apostrophes and non-ASCII unescaped: this is API JSON, never embedded in HTML).</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}

internal sealed record ErrorResponse(ErrorDetail Error);

internal sealed record ErrorDetail(string Message, string Type, string? Param, string? Code);

internal sealed record ModelObject([property: JsonPropertyOrder(-2)] string Id, long Created, string OwnedBy)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    public string ObjectType { get; } = "model";
}

internal sealed record ModelList(IReadOnlyList<ModelObject> Data)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    public string ObjectType { get; } = "list";
}

internal sealed record Usage(int PromptTokens, int CompletionTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}

/// <summary>A completion, or one chunk of a streamed one (the spec gives both the same shape).</summary>
internal sealed record CompletionResponse(
    [property: JsonPropertyOrder(-2)] string Id,
    long Created,
    string Model,
    IReadOnlyList<CompletionChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    public string ObjectType { get; } = "text_completion";
}

internal sealed record CompletionChoice(int Index, string Text, string? FinishReason)
{
    public object? Logprobs { get; } // always null: log probabilities are not returned
}

internal sealed record ChatCompletionResponse(
    [property: JsonPropertyOrder(-2)] string Id, long Created, string Model, IReadOnlyList<ChatChoice> Choices, Usage Usage)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    public string ObjectType { get; } = "chat.completion";
}

internal sealed record ChatChoice(int Index, ChatMessage Message, string FinishReason)
{
    public object? Logprobs { get; } // always null: log probabilities are not returned
}

internal sealed record ChatMessage(string Role, string Content);

internal sealed record ChatCompletionChunk(
    [property: JsonPropertyOrder(-2)] string Id,
    long Created,
    string Model,
    IReadOnlyList<ChatChunkChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    public string ObjectType { get; } = "chat.completion.chunk";
}

internal sealed record ChatChunkChoice(int Index, ChatDelta Delta, string? FinishReason)
{
    public object? Logprobs { get; } // always null: log probabilities are not returned
}

internal sealed record ChatDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content);
