using AdminConsole.Components.Pages;
using AdminConsole.Components.Telemetry;
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

    [Fact]
    public async Task A_loaded_service_lists_each_stage_and_headlines_the_reads_own_rate()
    {
        await using var context = BunitSetup.Create();
        var ready = Status(LoadPhase.Ready, 1 << 30, 4) with
        {
            Stages =
            [
                new(LoadStage.Runtime, 0.91, 0, 0),
                new(LoadStage.Tokenizer, 0.3, 0, 0),
                new(LoadStage.Construction, 0.12, 0, 0),
                new(LoadStage.Read, 0.447, 1 << 30, 2.4e9),
                new(LoadStage.WarmUp, 1.2, 0, 0),
            ],
        };
        var load = LoadTracker.Observe(Loading(LoadPhase.Reading, 256 << 20, 2), ready, Start.AddSeconds(4), TimeSpan.FromMilliseconds(3));

        var card = context.Render<LoadCard>(p => p.Add(c => c.Load, load));

        var rows = card.FindAll("[data-testid=load-stage-row]");
        Assert.Equal(["runtime", "tokenizer", "construction", "read", "warm up"], rows.Select(r => r.GetAttribute("data-stage")));
        var read = rows[3].TextContent;
        Assert.Contains("0.447 s", read, StringComparison.Ordinal);
        Assert.Contains("1.0 GiB", read, StringComparison.Ordinal);
        Assert.Contains("2400.0 MB/s", read, StringComparison.Ordinal);
        Assert.Contains("—", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Equal("2400.0 MB/s", card.Find("[data-testid=load-rate]").TextContent);
        Assert.Empty(card.FindAll("[data-testid=load-stage]"));
        Assert.Equal(2.4e9, Assert.Single(load.History).BytesPerSecond);
    }

    [Fact]
    public async Task A_load_in_progress_names_its_stage_beside_the_phase_and_an_older_service_shows_no_stages()
    {
        await using var context = BunitSetup.Create();
        var reading = Loading(LoadPhase.Reading, 256 << 20, 2);
        var staged = reading with { Status = reading.Status! with { Stage = LoadStage.Read, Stages = [new(LoadStage.Runtime, 0.91, 0, 0)] } };

        var card = context.Render<LoadCard>(p => p.Add(c => c.Load, staged));
        var older = context.Render<LoadCard>(p => p.Add(c => c.Load, reading));

        Assert.Equal("read", card.Find("[data-testid=load-stage]").TextContent.Trim());
        Assert.Single(card.FindAll("[data-testid=load-stage-row]"));
        Assert.Empty(older.FindAll("[data-testid=load-stage]"));
        Assert.Empty(older.FindAll("[data-testid=load-stages]"));
        Assert.Equal("134.2 MB/s", older.Find("[data-testid=load-rate]").TextContent);
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
