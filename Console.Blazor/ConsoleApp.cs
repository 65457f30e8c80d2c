using AdminConsole.Components;
using AdminConsole.Configuration;
using AdminConsole.Security;
using AdminConsole.Services.Conversions;
using AdminConsole.Services.Conversions.Kubernetes;
using AdminConsole.Services.Inference;
using AdminConsole.Services.Loads;
using AdminConsole.Services.Store;
using k8s;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MudBlazor.Services;
using ServiceDefaults;
using Tensorizer.Sources.S3;

namespace AdminConsole;

/// <summary>Builds the console: settings, the model store, the conversion runner for the mode, the inference clients and load monitor, sign-in (cookie sessions and bearer tokens), and the Blazor app.</summary>
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
        builder.Services.TryAddSingleton(TimeProvider.System); // a test's configure may bring its own clock (sessions expire on it too)
        builder.Services.AddSingleton<IModelStore>(_ => S3Location.IsS3Uri(options.ModelStore)
            ? new S3ModelStore(S3ClientFactory.Create(), S3Location.ParsePrefix(options.ModelStore))
            : new FolderModelStore(options.ModelStore));
        AddConversionRunner(builder, options);
        InferenceClients.Register(builder.Services, options);
        builder.Services.AddSingleton<LoadMonitor>();
        builder.Services.AddSingleton<ILoadMonitor>(services => services.GetRequiredService<LoadMonitor>());
        builder.Services.AddHostedService(services => services.GetRequiredService<LoadMonitor>());

        builder.Services.AddConsoleAuthentication(options);
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();

        var app = builder.Build();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }

        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapHealthChecks("/health").AllowAnonymous(); // the kubelet's probes carry no token
        app.MapHealthChecks("/alive").AllowAnonymous();
        app.MapLogin(options);
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode().RequireAuthorization(ConsoleAuthentication.Policy);
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
