using Inference.Hosting;
using Inference.Protocols;
using Inference.Protocols.KServeV1;
using Inference.Protocols.KServeV2;
using Inference.Protocols.OpenAI;
using Inference.Serving;
using Inference.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;
using ServiceDefaults;

namespace Inference;

/// <summary>Builds the service: configuration, the model host, the batching queue, telemetry and every protocol's endpoints.</summary>
public static class Startup
{
    /// <summary>Server start, in epoch seconds (OpenAI's <c>created</c> for the model).</summary>
    public static long Epoch { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 4 << 20);
        if (string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls("http://0.0.0.0:8080"); // KServe's model-server port
        }

        configure?.Invoke(builder);
        builder.AddServiceDefaults(InferenceMetrics.Name);
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddPrometheusExporter());
        builder.Services.ConfigureHttpJsonOptions(json =>
            json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.SnakeCaseLower)));
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));
        InferenceOptions.AddInferenceOptions(builder.Services, builder.Configuration);
        builder.Services.AddSingleton<InferenceMetrics>();
        builder.Services.AddSingleton<ModelHost>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ModelHost>());
        builder.Services.AddSingleton<GenerationScheduler>();
        builder.Services.AddHostedService(services => services.GetRequiredService<GenerationScheduler>());

        // What the protocols see of the model; a host may register its own in front of it first (tests do).
        builder.Services.AddSingleton<ServedModel>();
        builder.Services.TryAddSingleton<IServedModel>(services => services.GetRequiredService<ServedModel>());

        var app = builder.Build();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGet("/status", (ModelHost host) => Results.Json(host.Status));

        // One error mapping per protocol family, applied once to the family's route group.
        var kserve = app.MapGroup("").WithKServeErrors();
        kserve.MapKServeV1();
        kserve.MapKServeV2();
        app.MapGroup("").WithOpenAIErrors().MapOpenAI();
        return app;
    }
}
