using Inference.Serving;
using Models.Generation;

namespace Inference.Protocols.OpenAI;

/// <summary>
/// OpenAI-compatible endpoints, under KServe's default prefix <c>/openai/v1</c> and under <c>/v1</c> (where OpenAI
/// clients with a plain base URL look): completions and chat completions, streamed or not, with OpenAI's errors.
/// The model list is <c>GET /openai/v1/models</c>; <c>GET /v1/models</c> and <c>/v1/models/{name}</c> stay KServe
/// V1's (its list carries OpenAI's fields too).
/// </summary>
internal static class OpenAIEndpoints
{
    /// <summary>Maps the endpoints; <paramref name="app"/> is a route group with <see cref="OpenAIErrors.WithOpenAIErrors{TBuilder}"/>.</summary>
    public static void MapOpenAI(this IEndpointRouteBuilder app)
    {
        var openai = app.MapGroup("/openai/v1");
        openai.MapGet("/models", (IServedModel model) => Results.Json(new ModelList([ModelOf(model)]), OpenAIJson.Options));
        openai.MapGet("/models/{**name}", (string name, IServedModel model) =>
            name == model.Name ? Results.Json(ModelOf(model), OpenAIJson.Options) : throw new ModelNotFoundException(name));
        foreach (var group in new[] { openai, app.MapGroup("/v1") })
        {
            group.MapPost("/completions", Completions.HandleAsync);
            group.MapPost("/chat/completions", ChatCompletions.HandleAsync);
        }
    }

    /// <summary>OpenAI's finish_reason: "stop" for a stop sequence or end-of-text, "length" when max_tokens ran out.</summary>
    public static string FinishReason(GenerationResult result) => result.FinishReason switch
    {
        Models.Generation.FinishReason.Stop => "stop",
        Models.Generation.FinishReason.Length => "length",
        _ => throw new OperationCanceledException("The client left."),
    };

    public static Usage UsageOf(IEnumerable<GenerationResult> results) =>
        results.Aggregate(new Usage(0, 0), (usage, r) => new Usage(usage.PromptTokens + r.PromptTokens.Count, usage.CompletionTokens + r.Tokens.Count));

    private static ModelObject ModelOf(IServedModel model) => new(model.Name, Startup.Epoch, OpenAIJson.OwnedBy);
}
