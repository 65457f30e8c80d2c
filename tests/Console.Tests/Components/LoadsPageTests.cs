using AdminConsole.Components.Pages;
using AdminConsole.Services.Inference;
using AdminConsole.Services.Loads;
using AdminConsole.Tests.Fakes;
using Bunit;
using Microsoft.Extensions.DependencyInjection;

namespace AdminConsole.Tests.Components;

public sealed class LoadsPageTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public async Task A_load_in_progress_shows_its_figures_and_chart_and_updates_live()
    {
        await using var context = BunitSetup.Create();
        var reading = Loading(LoadPhase.Reading, bytes: 256 << 20, seconds: 2);
        var monitor = new FakeLoadMonitor(reading);
        context.Services.AddSingleton<ILoadMonitor>(monitor);

        var page = context.Render<LoadsPage>();

        var card = page.Find("[data-testid=load-card]");
        Assert.Equal("reading", card.GetAttribute("data-phase"));
        Assert.Contains("256.0 MiB of 1.0 GiB", page.Find("[data-testid=load-bytes]").TextContent, StringComparison.Ordinal);
        Assert.NotEmpty(page.FindAll("[data-testid=load-chart]"));

        var ready = LoadTracker.Observe(reading, Status(LoadPhase.Ready, 1 << 30, 4), Start.AddSeconds(4), TimeSpan.FromMilliseconds(3));
        await page.InvokeAsync(() => monitor.Show(ready));

        page.WaitForAssertion(() => Assert.Equal("ready", page.Find("[data-testid=load-card]").GetAttribute("data-phase")));
        var history = page.Find("[data-testid=load-history] tbody").TextContent;
        Assert.Contains("ready", history, StringComparison.Ordinal);
        Assert.Contains("/models/gptj/model.tensors", history, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_service_says_so_plainly()
    {
        await using var context = BunitSetup.Create();
        var down = LoadTracker.Unreachable(ServiceLoad.Unknown("gptj", new Uri("http://gptj.test/")), "gptj (http://gptj.test/) is unreachable: Connection refused");
        context.Services.AddSingleton<ILoadMonitor>(new FakeLoadMonitor(down));

        var page = context.Render<LoadsPage>();

        Assert.Equal("unreachable", page.Find("[data-testid=load-card]").GetAttribute("data-phase"));
        Assert.Contains("Connection refused", page.Find("[data-testid=load-error]").TextContent, StringComparison.Ordinal);
    }

    private static ServiceLoad Loading(LoadPhase phase, long bytes, double seconds)
    {
        var load = ServiceLoad.Unknown("gptj", new Uri("http://gptj.test/"));
        load = LoadTracker.Observe(load, Status(LoadPhase.Opening, 0, 0.2), Start, TimeSpan.FromMilliseconds(3));
        return LoadTracker.Observe(load, Status(phase, bytes, seconds), Start.AddSeconds(seconds), TimeSpan.FromMilliseconds(3));
    }

    private static ServiceStatus Status(LoadPhase phase, long bytes, double seconds) =>
        new(phase, bytes, 1 << 30, bytes / seconds, Start, TimeSpan.FromSeconds(seconds), "/models/gptj/model.tensors", null);
}
