using AdminConsole.Components;
using AdminConsole.Configuration;
using AdminConsole.Security;
using AdminConsole.Services.Conversions;
using AdminConsole.Services.Conversions.Kubernetes;
using AdminConsole.Services.Inference;
using AdminConsole.Services.Loads;
using AdminConsole.Services.Store;
using k8s;
using MudBlazor.Services;
using ServiceDefaults;
using Tensorizer.Sources.S3;

namespace AdminConsole;

/// <summary>Builds the console: settings, the model store, the conversion runner for the mode, the inference clients and load monitor, the access gate, and the Blazor app.</summary>
public static class ConsoleApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(ConsoleApp).Assembly.GetName().Name, // static web assets are found by it, also when hosted by tests
        });
        configure?.Invoke(builder);
        builder.AddServiceDefaults();
        builder.Services.AddHealthChecks();

        var options = ConsoleOptions.FromConfiguration(builder.Configuration, builder.Environment.ContentRootPath);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IModelStore>(_ => S3Location.IsS3Uri(options.ModelStore)
            ? new S3ModelStore(S3ClientFactory.Create(), S3Location.ParsePrefix(options.ModelStore))
            : new FolderModelStore(options.ModelStore));
        AddConversionRunner(builder, options);
        InferenceClients.Register(builder.Services, options);
        builder.Services.AddSingleton<LoadMonitor>();
        builder.Services.AddSingleton<ILoadMonitor>(services => services.GetRequiredService<LoadMonitor>());
        builder.Services.AddHostedService(services => services.GetRequiredService<LoadMonitor>());

        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();

        var app = builder.Build();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }

        app.UseMiddleware<AccessGate>();
        app.UseAntiforgery();
        app.MapHealthChecks("/health");
        app.MapHealthChecks("/alive");
        app.MapLogin(options);
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    private static void AddConversionRunner(WebApplicationBuilder builder, ConsoleOptions options)
    {
        if (options.Mode == ConsoleMode.Local)
        {
            builder.Services.AddSingleton<IConversionRunner, LocalConversionRunner>();
            return;
        }

        builder.Services.AddSingleton(ConverterOptions.FromConfiguration(builder.Configuration));
        builder.Services.AddSingleton<IKubernetes>(_ => new k8s.Kubernetes(KubernetesClientConfiguration.IsInCluster()
            ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildConfigFromConfigFile()));
        builder.Services.AddSingleton<IConversionRunner, KubernetesConversionRunner>();
    }
}
