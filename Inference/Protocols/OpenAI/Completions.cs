using System.Collections.Frozen;
using System.Text.Json;
using Inference.Serving;
using Models.Generation;

namespace Inference.Protocols.OpenAI;

/// <summary>
/// <c>POST /v1/completions</c>: one choice per prompt (a string, strings, token ids, or lists of token ids), all
/// batched together; <c>echo</c> puts the prompt before each text; <c>finish_reason</c> is <c>stop</c> for a stop
/// sequence or end-of-text and <c>length</c> when max_tokens (default 16, or generation_config.json's max_new_tokens) ran out.
/// </summary>
internal static class Completions
{
    private const int DefaultMaxTokens = 16; // the spec's default

    private static readonly FrozenSet<string> Fields = SamplingParameters.Fields.Concat(["prompt", "echo", "best_of", "suffix"]).ToFrozenSet();

    public static async Task<IResult> HandleAsync(HttpContext context, IServedModel model)
    {
        using var body = await RequestJson.ParseAsync(context.Request.Body, context.RequestAborted);
        var fields = RequestFields.Read(body.RootElement, Fields);
        var sampling = SamplingParameters.Read(fields, fields.Integer("max_tokens", 0, int.MaxValue));
        var echo = fields.Bool("echo") ?? false;
        fields.OnlyDefault("best_of", v => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n == 1, "best_of = 1");
        fields.OnlyDefault("suffix", v => v.ValueKind == JsonValueKind.String && v.GetString()!.Length == 0, "null");
        fields.OnlyDefault("logprobs", _ => false, "null");
        var prompts = ReadPrompts(fields.Required("prompt"));
        model.EnsureServes(sampling.Model);

        var info = model.Info;
        var tokens = prompts.Select(p => p.Tokens is { } ids ? CheckIds(ids, info.VocabularySize) : PromptTokens.ForOpenAI(model, p.Text!, "prompt", context.RequestAborted)).ToList();
        var endOfText = info.EndOfTextId;
        for (var i = 0; i < tokens.Count; i++)
        {
            // An empty prompt is the start of a document, as the spec says: <|endoftext|>.
            tokens[i] = tokens[i].Count > 0 ? tokens[i]
                : endOfText is { } eot ? [eot]
                : throw new InvalidRequestException("The prompt is empty.", "prompt");
        }

        var maxTokens = sampling.MaxTokens ?? info.Defaults.MaxNewTokens ?? DefaultMaxTokens;
        var options = tokens.Select(t => sampling.ToOptions(ContextWindow.MaxNewTokens(t.Count, maxTokens, info.ContextLength, "prompt"), [], info.Defaults)).ToList();
        var echoes = prompts.Select((p, i) => echo ? p.Text ?? model.Decode(tokens[i]) : "").ToList();
        using var batch = GenerationBatch.Submit(model, tokens, options, context.RequestAborted);
        var (id, created) = ($"cmpl-{Guid.NewGuid():N}", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        if (!sampling.Stream)
        {
            var results = await batch.CompleteAsync();
            var choices = results.Select((r, i) => new CompletionChoice(i, echoes[i] + r.Text, OpenAIEndpoints.FinishReason(r))).ToList();
            return Results.Json(new CompletionResponse(id, created, sampling.Model, choices, OpenAIEndpoints.UsageOf(results)), OpenAIJson.Options);
        }

        var stream = new EventStream(context.Response);
        await stream.StartAsync(batch.Token);
        await stream.RunAsync(
            async () =>
            {
                CompletionResponse Chunk(int index, string text, string? finish) =>
                    new(id, created, sampling.Model, [new CompletionChoice(index, text, finish)], null);
                for (var i = 0; i < echoes.Count; i++)
                {
                    if (echoes[i].Length > 0)
                    {
                        await stream.WriteAsync(Chunk(i, echoes[i], null), batch.Token);
                    }
                }

                var results = new GenerationResult[tokens.Count];
                await foreach (var piece in batch.StreamAsync())
                {
                    if (piece.Finished is { } result)
                    {
                        results[piece.Index] = result;
                    }

                    await stream.WriteAsync(Chunk(piece.Index, piece.Text, piece.Finished is { } r ? OpenAIEndpoints.FinishReason(r) : null), batch.Token);
                }

                if (sampling.IncludeUsage)
                {
                    await stream.WriteAsync(new CompletionResponse(id, created, sampling.Model, [], OpenAIEndpoints.UsageOf(results)), batch.Token);
                }

                await stream.DoneAsync(batch.Token);
            },
            batch.Token);
        return Results.Empty;
    }

    /// <summary>A prompt as text, or as token ids.</summary>
    private sealed record Prompt(string? Text, IReadOnlyList<int>? Tokens);

    private static List<Prompt> ReadPrompts(JsonElement prompt)
    {
        if (prompt.ValueKind == JsonValueKind.String)
        {
            return [new Prompt(prompt.GetString(), null)];
        }

        if (prompt.ValueKind != JsonValueKind.Array || prompt.GetArrayLength() == 0)
        {
            throw RequestFields.WrongType("prompt", "a string, an array of strings, an array of token ids, or an array of token-id arrays (not empty)");
        }

        var items = prompt.EnumerateArray().ToList();
        if (items.All(item => item.ValueKind == JsonValueKind.Number))
        {
            return [new Prompt(null, TokenIds(prompt, "prompt"))];
        }

        return [.. items.Select((item, i) => item.ValueKind switch
        {
            JsonValueKind.String => new Prompt(item.GetString(), null),
            JsonValueKind.Array when item.GetArrayLength() > 0 => new Prompt(null, TokenIds(item, $"prompt[{i}]")),
            _ => throw RequestFields.WrongType($"prompt[{i}]", "a string or a non-empty array of token ids"),
        })];
    }

    private static int[] TokenIds(JsonElement array, string param) =>
        [.. array.EnumerateArray().Select(id => id.ValueKind == JsonValueKind.Number && id.TryGetInt32(out var value)
            ? value
            : throw RequestFields.WrongType(param, "an array of integer token ids"))];

    private static IReadOnlyList<int> CheckIds(IReadOnlyList<int> ids, int vocabulary) => ids.Any(id => (uint)id >= (uint)vocabulary)
        ? throw new InvalidRequestException($"The prompt holds a token id outside the vocabulary (0 to {vocabulary - 1}).", "prompt")
        : ids;
}
