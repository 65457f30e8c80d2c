using System.Reflection;
using Inference.Hosting;
using Inference.Protocols;
using Inference.Protocols.KServeV2;
using Inference.Serving;

// In Startup's namespace, so that mapping these endpoints there needs no using.
namespace Inference;

/// <summary>
/// The Open Inference Protocol (KServe V2) over REST for the one served model: health, server and model metadata,
/// and <c>infer</c> with the binary tensor data extension. The model takes prompts as the BYTES input
/// <c>text_input</c> and answers with the BYTES output <c>text_output</c>.
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
        app.MapGet("/v2/health/ready", (ModelHost host) =>
            host.IsReady ? Results.Json(new { ready = true }) : KServeErrors.Error(StatusCodes.Status503ServiceUnavailable, "Server is not ready."));
        app.MapGet("/v2/models", (ModelHost host) => Results.Json(new { models = new[] { host.ModelName } }));
        app.MapGet("/v2/models/{name}", (string name, ModelHost host) => KServeErrors.CheckModel(host, name) ?? Results.Json(Metadata(name)));
        app.MapGet("/v2/models/{name}/ready", (string name, ModelHost host) =>
            KServeErrors.CheckModel(host, name) ?? Results.Json(new { name, ready = true }));
        app.MapPost("/v2/models/{name}/infer", (string name, HttpRequest request, ModelHost host, GenerationScheduler queue) =>
            KServeErrors.HandleAsync(request.HttpContext, () => V2Infer.InferAsync(name, request, host, queue)));

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
