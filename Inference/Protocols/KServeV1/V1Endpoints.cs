using System.Text.Json;
using Inference.Serving;
using Models.Generation;

namespace Inference.Protocols.KServeV1;

/// <summary>
/// KServe's V1 protocol, as the seed serves it: <c>POST /v1/models/{name}:predict</c> with
/// <c>{"instances": ["prompt", …]}</c> (or <c>inputs</c>) → <c>{"predictions": ["prompt + continuation", …]}</c>,
/// with the seed's generation defaults and optional <c>parameters</c>; plus liveness and model status. Mapped in a
/// route group with <see cref="KServeErrors.WithKServeErrors{TBuilder}"/>: handlers throw, the group answers.
/// </summary>
internal static class V1Endpoints
{
    public static void MapKServeV1(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Results.Json(new { status = "alive" }));
        app.MapGet("/v1/models", (IServedModel model) => Results.Json(ModelList(model)));
        app.MapGet("/v1/models/{name}", (string name, IServedModel model) =>
        {
            model.EnsureServes(name);
            return Results.Json(new { name, ready = true });
        });

        // "{name}:predict" is one path segment; match it whole and split at the verb.
        app.MapPost("/v1/models/{target}", PredictAsync);
    }

    /// <summary>
    /// KServe V1's list, with OpenAI's fields beside it: <c>GET /v1/models</c> is also where OpenAI clients with a
    /// <c>/v1</c> base URL look, and each reads only its own keys.
    /// </summary>
    internal static object ModelList(IServedModel model) => new
    {
        models = new[] { model.Name },
        @object = "list",
        data = new[] { new { id = model.Name, @object = "model", created = Startup.Epoch, owned_by = "tensorizer-dotnet" } },
    };

    private static async Task<IResult> PredictAsync(string target, HttpRequest request, IServedModel model)
    {
        var separator = target.LastIndexOf(':');
        var (name, verb) = separator < 0 ? (target, "") : (target[..separator], target[(separator + 1)..]);
        if (verb != "predict")
        {
            return verb == "explain"
                ? KServeErrors.Error(StatusCodes.Status501NotImplemented, "Explain is not supported for this model.")
                : KServeErrors.Error(StatusCodes.Status404NotFound, $"Unknown verb '{verb}'; use {name}:predict.");
        }

        model.EnsureServes(name);
        using var body = await RequestJson.ParseAsync(request.Body, request.HttpContext.RequestAborted);
        var root = body.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException("Expected payload to be a dict");
        }

        foreach (var property in root.EnumerateObject())
        {
            if (property.Name is not ("instances" or "inputs" or "parameters"))
            {
                throw new InvalidRequestException($"Unknown field '{property.Name}'; expected \"instances\" (or \"inputs\") and optional \"parameters\".");
            }
        }

        var instances = root.TryGetProperty("instances", out var i) ? i : root.TryGetProperty("inputs", out var n) ? n : default;
        if (instances.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidRequestException("Expected \"instances\" to be a list");
        }

        var prompts = instances.EnumerateArray().Select((e, index) => e.ValueKind == JsonValueKind.String
            ? e.GetString()!
            : throw new InvalidRequestException($"Instance {index} is not a string; each instance is a prompt.")).ToList();
        if (prompts.Count == 0)
        {
            throw new InvalidRequestException("Expected at least one instance.");
        }

        var (options, returnFullText) = GenerationParameters.Parse(
            root.TryGetProperty("parameters", out var parameters) ? parameters : null, model.Info.Defaults.ApplyTo(GenerationOptions.ExamplePredictorDefaults), returnFullTextByDefault: true);
        var aborted = request.HttpContext.RequestAborted;
        var tokens = prompts.Select(prompt => PromptTokens.ForKServe(model, prompt, aborted)).ToList();

        // One batch: if an instance is refused (queue full, context overflow) or the client leaves, none of them runs.
        using var batch = GenerationBatch.Submit(model, tokens, [.. tokens.Select(_ => options)], aborted);
        var results = await batch.CompleteAsync();
        return Results.Json(new { predictions = prompts.Select((prompt, k) => (returnFullText ? prompt : "") + results[k].Text) });
    }
}
