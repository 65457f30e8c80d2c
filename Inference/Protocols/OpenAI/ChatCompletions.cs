using System.Collections.Frozen;
using System.Text.Json;
using Inference.Serving;
using Models.Generation;

namespace Inference.Protocols.OpenAI;

/// <summary>
/// <c>POST /v1/chat/completions</c>: the messages rendered in the model's chat format and continued as one
/// completion; max_tokens (or max_completion_tokens) defaults to what the context leaves (at most generation_config.json's
/// max_new_tokens, when it has one). Text-only: images, tools,
/// functions, JSON mode and logprobs are refused.
/// </summary>
internal static class ChatCompletions
{
    private static readonly FrozenSet<string> Fields = SamplingParameters.Fields.Concat(
        ["messages", "max_completion_tokens", "top_logprobs", "response_format", "tools", "tool_choice", "functions", "function_call", "parallel_tool_calls"])
        .ToFrozenSet();

    private static readonly FrozenSet<string> MessageFields = FrozenSet.ToFrozenSet(["role", "content", "name", "tool_calls", "function_call"]);

    private static readonly FrozenSet<string> TextPartFields = FrozenSet.ToFrozenSet(["type", "text"]);

    public static async Task<IResult> HandleAsync(HttpContext context, IServedModel model)
    {
        using var body = await RequestJson.ParseAsync(context.Request.Body, context.RequestAborted);
        var fields = RequestFields.Read(body.RootElement, Fields);
        var maxTokens = fields.Integer("max_completion_tokens", 0, int.MaxValue) ?? fields.Integer("max_tokens", 0, int.MaxValue);
        var sampling = SamplingParameters.Read(fields, maxTokens);
        RefuseUnsupported(fields);
        var turns = ReadMessages(fields.Required("messages"));
        model.EnsureServes(sampling.Model);

        var prompt = model.RenderChat(turns);
        // A model's template writes its special tokens itself: they are not added again.
        var tokens = PromptTokens.ForOpenAI(model, prompt.Text, "messages", context.RequestAborted, prompt.AddSpecialTokens);
        var info = model.Info;
        var maxNewTokens = ContextWindow.MaxNewTokens(tokens.Count, sampling.MaxTokens, info.ContextLength, "messages", info.Defaults.MaxNewTokens);
        var options = sampling.ToOptions(maxNewTokens, prompt.StopSequences, info.Defaults);
        using var batch = GenerationBatch.Submit(model, [tokens], [options], context.RequestAborted);
        var (id, created) = ($"chatcmpl-{Guid.NewGuid():N}", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        if (!sampling.Stream)
        {
            var results = await batch.CompleteAsync();
            var choice = new ChatChoice(0, new ChatMessage("assistant", results[0].Text.TrimStart()), OpenAIEndpoints.FinishReason(results[0]));
            return Results.Json(new ChatCompletionResponse(id, created, sampling.Model, [choice], OpenAIEndpoints.UsageOf(results)), OpenAIJson.Options);
        }

        var stream = new EventStream(context.Response);
        await stream.StartAsync(batch.Token);
        await stream.RunAsync(
            async () =>
            {
                ChatCompletionChunk Chunk(ChatDelta delta, string? finish) => new(id, created, sampling.Model, [new ChatChunkChoice(0, delta, finish)], null);
                await stream.WriteAsync(Chunk(new ChatDelta("assistant", ""), null), batch.Token);
                var started = false; // the reply's leading whitespace is dropped, as in the non-streamed message
                GenerationResult? result = null;
                await foreach (var piece in batch.StreamAsync())
                {
                    if (piece.Finished is { } finished)
                    {
                        result = finished;
                        await stream.WriteAsync(Chunk(new ChatDelta(null, null), OpenAIEndpoints.FinishReason(finished)), batch.Token);
                        continue;
                    }

                    var text = started ? piece.Text : piece.Text.TrimStart();
                    if (text.Length > 0)
                    {
                        started = true;
                        await stream.WriteAsync(Chunk(new ChatDelta(null, text), null), batch.Token);
                    }
                }

                if (sampling.IncludeUsage && result is not null)
                {
                    await stream.WriteAsync(new ChatCompletionChunk(id, created, sampling.Model, [], OpenAIEndpoints.UsageOf([result])), batch.Token);
                }

                await stream.DoneAsync(batch.Token);
            },
            batch.Token);
        return Results.Empty;
    }

    private static void RefuseUnsupported(RequestFields fields)
    {
        static bool IsEmptyArray(JsonElement v) => v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 0;
        fields.OnlyDefault("logprobs", v => v.ValueKind == JsonValueKind.False, "false");
        fields.OnlyDefault("top_logprobs", v => v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var n) && n == 0, "0");
        fields.OnlyDefault("response_format", v => v.ValueKind == JsonValueKind.Object && v.EnumerateObject().All(p => p.Name == "type")
            && (!v.TryGetProperty("type", out var type) || type.ValueKind == JsonValueKind.String && type.GetString() == "text"), "{\"type\": \"text\"}");
        fields.OnlyDefault("tools", IsEmptyArray, "no tools");
        fields.OnlyDefault("functions", IsEmptyArray, "no functions");
        fields.OnlyDefault("tool_choice", v => v.ValueKind == JsonValueKind.String && v.GetString() == "none", "\"none\"");
        fields.OnlyDefault("function_call", v => v.ValueKind == JsonValueKind.String && v.GetString() == "none", "\"none\"");
        fields.Bool("parallel_tool_calls"); // meaningless without tools: type-checked only
    }

    private static List<ChatTurn> ReadMessages(JsonElement messages)
    {
        if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            throw RequestFields.WrongType("messages", "a non-empty array of messages");
        }

        return [.. messages.EnumerateArray().Select((message, i) => ReadMessage(message, $"messages[{i}]"))];
    }

    private static ChatTurn ReadMessage(JsonElement message, string path)
    {
        var fields = RequestFields.Read(message, MessageFields, path);
        var role = fields.RequiredString("role");
        if (role is not ("system" or "developer" or "user" or "assistant"))
        {
            throw fields.Unsupported("role", $"'{role}' messages are not; system, user and assistant are");
        }

        fields.String("name"); // accepted, not rendered: type-checked only
        fields.OnlyDefault("tool_calls", v => v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 0, "no tool calls");
        fields.OnlyDefault("function_call", _ => false, "null");
        var content = fields.Get("content") switch
        {
            null when role == "assistant" => "",
            null => throw new InvalidRequestException($"'{fields.Name("content")}' is a required property.", fields.Name("content"), "missing_required_parameter"),
            { ValueKind: JsonValueKind.String } text => text.GetString()!,
            { ValueKind: JsonValueKind.Array } parts => string.Join('\n', parts.EnumerateArray().Select((part, k) => TextPart(part, $"{path}.content[{k}]"))),
            _ => throw RequestFields.WrongType(fields.Name("content"), "a string or an array of text parts"),
        };
        return new ChatTurn(role, content);
    }

    private static string TextPart(JsonElement part, string path)
    {
        var type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (type != "text")
        {
            throw new InvalidRequestException(
                $"'{path}' is not supported by this server: it reads text parts ({{\"type\": \"text\", \"text\": …}}) only.", path, "unsupported_value");
        }

        return RequestFields.Read(part, TextPartFields, path).RequiredString("text");
    }
}
