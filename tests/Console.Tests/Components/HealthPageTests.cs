using AdminConsole.Components.Pages;
using AdminConsole.Configuration;
using AdminConsole.Services.Conversions;
using AdminConsole.Services.Inference;
using AdminConsole.Services.Loads;
using AdminConsole.Services.Store;
using AdminConsole.Tests.Fakes;
using Bunit;
using Microsoft.Extensions.DependencyInjection;

namespace AdminConsole.Tests.Components;

public sealed class HealthPageTests
{
    [Fact]
    public async Task Every_service_shows_its_health_with_links_to_the_dashboard()
    {
        var dashboard = new Uri("http://127.0.0.1:15888/");
        await using var context = BunitSetup.Create(new ConsoleOptions { DashboardUrl = dashboard });
        var now = DateTimeOffset.UtcNow;
        var ready = LoadTracker.Observe(
            ServiceLoad.Unknown("gptj", new Uri("http://gptj.test/")),
            new ServiceStatus(LoadPhase.Ready, 10, 10, 5, now, TimeSpan.FromSeconds(2), "/m", null),
            now,
            TimeSpan.FromMilliseconds(4));
        var down = LoadTracker.Unreachable(ServiceLoad.Unknown("other", new Uri("http://other.test/")), "other did not answer within 2 s.");
        context.Services.AddSingleton<ILoadMonitor>(new FakeLoadMonitor(ready, down));
        context.Services.AddSingleton<IModelStore>(new FakeModelStore { FailWith = new IOException("No such bucket") });
        context.Services.AddSingleton<IConversionRunner>(new FakeConversionRunner());

        var page = context.Render<HealthPage>();

        var states = page.FindAll("[data-testid=health-state]").Select(e => e.TextContent).ToList();
        Assert.Equal(["healthy", "down"], states);
        Assert.Contains("did not answer within 2 s.", page.Find("[data-testid=health-table] tbody").TextContent, StringComparison.Ordinal);
        Assert.Contains("unreachable: No such bucket", page.Find("[data-testid=store-health]").TextContent, StringComparison.Ordinal);
        Assert.Equal(dashboard.ToString(), page.Find("[data-testid=dashboard-link]").GetAttribute("href"));
        Assert.Contains(page.FindAll("a"), a => a.GetAttribute("href") == "http://127.0.0.1:15888/consolelogs/resource/gptj");
    }
}
