using System.Text.Json;
using System.Text.Json.Nodes;

namespace ChatTemplates;

/// <summary>
/// One message as chat templates see it: a dict with <c>role</c> and <c>content</c> (a string, a list of content
/// parts such as <c>{"type": "text", "text": ...}</c>, or None), and, when given, <c>name</c>,
/// <c>tool_calls</c>, <c>tool_call_id</c>, <c>reasoning_content</c> and any <see cref="Extra"/> fields, in that
/// order. Fields left null are absent (<c>is defined</c> is false), except <c>content</c>, which is None.
/// </summary>
public sealed record ChatMessage
{
    public required string Role { get; init; }

    /// <summary>Text content; ignored when <see cref="ContentParts"/> is set. Null renders as None.</summary>
    public string? Content { get; init; }

    /// <summary>Content as a list of parts (multimodal), rendered as the list.</summary>
    public JsonArray? ContentParts { get; init; }

    public string? Name { get; init; }

    public JsonArray? ToolCalls { get; init; }

    public string? ToolCallId { get; init; }

    /// <summary>An assistant turn's reasoning, which Qwen3-style templates render inside <c>&lt;think&gt;</c>.</summary>
    public string? ReasoningContent { get; init; }

    /// <summary>Further fields, as they are.</summary>
    public IReadOnlyDictionary<string, JsonNode?>? Extra { get; init; }

    public static ChatMessage System(string content) => new() { Role = "system", Content = content };

    public static ChatMessage User(string content) => new() { Role = "user", Content = content };

    public static ChatMessage Assistant(string? content) => new() { Role = "assistant", Content = content };

    /// <summary>
    /// An OpenAI-style message object. With <paramref name="parseToolCallArguments"/>, a tool call's
    /// <c>function.arguments</c> given as a JSON string of an object becomes that object, as Hugging Face's
    /// templates expect (Llama 3.1's writes <c>arguments | tojson</c>); a string that is not a JSON object stays a
    /// string.
    /// </summary>
    public static ChatMessage FromJson(JsonObject message, bool parseToolCallArguments = false)
    {
        ArgumentNullException.ThrowIfNull(message);
        string? Text(string key) => message[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        var role = Text("role") ?? throw new ArgumentException("A message needs a string 'role'", nameof(message));
        var content = message["content"];
        var extra = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (key, value) in message)
        {
            if (key is not ("role" or "content" or "name" or "tool_calls" or "tool_call_id" or "reasoning_content"))
            {
                extra[key] = value?.DeepClone();
            }
        }
        var toolCalls = message["tool_calls"] is JsonArray calls ? (JsonArray)calls.DeepClone() : null;
        if (toolCalls is not null && parseToolCallArguments)
        {
            foreach (var call in toolCalls)
            {
                if (call?["function"] is JsonObject function && function["arguments"] is JsonValue arguments
                    && arguments.GetValueKind() == JsonValueKind.String)
                {
                    try
                    {
                        if (JsonNode.Parse(arguments.GetValue<string>()) is JsonObject parsed)
                        {
                            function["arguments"] = parsed;
                        }
                    }
                    catch (JsonException)
                    {
                        // Not JSON: the template gets the string.
                    }
                }
            }
        }
        return new ChatMessage
        {
            Role = role,
            Content = content is JsonValue cv && cv.GetValueKind() == JsonValueKind.String ? cv.GetValue<string>() : null,
            ContentParts = content is JsonArray parts ? (JsonArray)parts.DeepClone() : null,
            Name = Text("name"),
            ToolCalls = toolCalls,
            ToolCallId = Text("tool_call_id"),
            ReasoningContent = Text("reasoning_content"),
            Extra = extra.Count > 0 ? extra : null,
        };
    }

    /// <summary>The dict the template sees.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["role"] = Role,
            ["content"] = ContentParts is not null ? ContentParts.DeepClone() : Content is null ? null : JsonValue.Create(Content),
        };
        if (Name is not null)
        {
            o["name"] = Name;
        }
        if (ToolCalls is not null)
        {
            o["tool_calls"] = ToolCalls.DeepClone();
        }
        if (ToolCallId is not null)
        {
            o["tool_call_id"] = ToolCallId;
        }
        if (ReasoningContent is not null)
        {
            o["reasoning_content"] = ReasoningContent;
        }
        if (Extra is not null)
        {
            foreach (var (key, value) in Extra)
            {
                o[key] = value?.DeepClone();
            }
        }
        return o;
    }
}
