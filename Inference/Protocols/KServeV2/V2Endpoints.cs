using System.Reflection;
using Inference.Serving;

namespace Inference.Protocols.KServeV2;

/// <summary>
/// The Open Inference Protocol (KServe V2) over REST for the one served model: health, server and model metadata,
/// and <c>infer</c> with the binary tensor data extension. The model takes prompts as the BYTES input
/// <c>text_input</c> and answers with the BYTES output <c>text_output</c>. Mapped in a route group with
/// <see cref="KServeErrors.WithKServeErrors{TBuilder}"/>: handlers throw, the group answers.
/// </summary>
internal static class V2Endpoints
{
    private static readonly object ServerMetadata = new
    {
        name = "tensorizer-dotnet",
        version = typeof(V2Endpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "1.0.0",
        extensions = new[] { "binary_tensor_data" },
    };

    public static void MapKServeV2(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v2", () => Results.Json(ServerMetadata));
        app.MapGet("/v2/health/live", () => Results.Json(new { live = true }));
        app.MapGet("/v2/health/ready", (IServedModel model) =>
            model.IsReady ? Results.Json(new { ready = true }) : KServeErrors.Error(StatusCodes.Status503ServiceUnavailable, "Server is not ready."));
        app.MapGet("/v2/models", (IServedModel model) => Results.Json(new { models = new[] { model.Name } }));
        app.MapGet("/v2/models/{name}", (string name, IServedModel model) =>
        {
            model.EnsureServes(name);
            return Results.Json(Metadata(name));
        });
        app.MapGet("/v2/models/{name}/ready", (string name, IServedModel model) =>
        {
            model.EnsureServes(name);
            return Results.Json(new { name, ready = true });
        });
        app.MapPost("/v2/models/{name}/infer", V2Infer.InferAsync);

        // KServe answers every versioned form (metadata, ready, infer) this way, whatever the model.
        app.Map("/v2/models/{name}/versions/{**rest}", () =>
            KServeErrors.Error(StatusCodes.Status501NotImplemented, "Model versioning not supported yet."));
    }

    private static object Metadata(string name) => new
    {
        name,
        versions = Array.Empty<string>(),
        platform = "torchsharp",
        inputs = new[] { new { name = "text_input", datatype = "BYTES", shape = new[] { -1 } } },
        outputs = new[] { new { name = V2InferRequest.OutputName, datatype = "BYTES", shape = new[] { -1 } } },
    };
}
