using AdminConsole.Components.Pages;
using AdminConsole.Services.Conversions;
using AdminConsole.Services.Store;
using AdminConsole.Tests.Fakes;
using Bunit;
using Checkpoints.Conversion;
using Microsoft.Extensions.DependencyInjection;

namespace AdminConsole.Tests.Components;

public sealed class ModelsPageTests
{
    private static readonly StoredModel Gptj = new("gptj", "/store/gptj", true, 12, 3 << 20, ["float16"], "builtin://tiny-gptj", "tiny-gptj-1", null);
    private static readonly StoredModel Broken = new("half", "/store/half", false, 0, 0, [], null, null, "model.tensors is unreadable: truncated");

    [Fact]
    public async Task Lists_the_store_with_size_dtype_tensors_source_and_state()
    {
        await using var context = BunitSetup.Create();
        context.Services.AddSingleton<IModelStore>(new FakeModelStore(Gptj, Broken));
        context.Services.AddSingleton<IConversionRunner>(new FakeConversionRunner());

        var page = context.Render<ModelsPage>();

        var rows = page.FindAll("[data-testid=model-table] tbody tr");
        Assert.Equal(2, rows.Count);
        Assert.Contains("3.0 MiB", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("float16", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("builtin://tiny-gptj", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("tiny-gptj-1", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("complete", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("unreadable", rows[1].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_that_cannot_be_listed_shows_why()
    {
        await using var context = BunitSetup.Create();
        context.Services.AddSingleton<IModelStore>(new FakeModelStore { FailWith = new IOException("Permission denied: /store") });
        context.Services.AddSingleton<IConversionRunner>(new FakeConversionRunner());

        var page = context.Render<ModelsPage>();

        Assert.Contains("Permission denied: /store", page.Find("[data-testid=store-error]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_form_starts_a_conversion_with_what_was_typed()
    {
        await using var context = BunitSetup.Create();
        var runner = new FakeConversionRunner();
        context.Services.AddSingleton<IModelStore>(new FakeModelStore());
        context.Services.AddSingleton<IConversionRunner>(runner);
        var page = context.Render<ModelsPage>();
        Assert.True(page.Find("[data-testid=start-conversion]").HasAttribute("disabled"));

        page.Find("input[data-testid=repository]").Input("EleutherAI/gpt-j-6b");
        page.Find("input[data-testid=revision]").Input("float16");
        page.Find("input[data-testid=destination]").Input("gpt-j-6b");
        page.Find("[data-testid=start-conversion]").Click();

        var spec = Assert.Single(runner.Started);
        Assert.Equal("hf://EleutherAI/gpt-j-6b@float16", spec.SourceUri);
        Assert.Equal("float16", spec.Dtype);
        Assert.Equal("gpt-j-6b", spec.Destination);
        Assert.Single(page.FindAll("[data-testid=conversion]"));
    }

    [Fact]
    public async Task A_refused_start_is_shown()
    {
        await using var context = BunitSetup.Create();
        var runner = new FakeConversionRunner { FailWith = new InvalidOperationException("Converter:Image is not configured") };
        context.Services.AddSingleton<IModelStore>(new FakeModelStore());
        context.Services.AddSingleton<IConversionRunner>(runner);
        var page = context.Render<ModelsPage>();

        page.Find("input[data-testid=repository]").Input("org/model");
        page.Find("input[data-testid=destination]").Input("model");
        page.Find("[data-testid=start-conversion]").Click();

        Assert.Contains("Converter:Image is not configured", page.Find("[data-testid=start-error]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Progress_updates_live_and_a_completed_conversion_lists_the_store_again()
    {
        await using var context = BunitSetup.Create();
        var runner = new FakeConversionRunner();
        var store = new FakeModelStore(Gptj);
        context.Services.AddSingleton<IModelStore>(store);
        context.Services.AddSingleton<IConversionRunner>(runner);
        var page = context.Render<ModelsPage>();
        var spec = new ConversionSpec(SourceKind.HuggingFace, "org/model", null, "float16", "model");
        var running = new ConversionSnapshot("c1", spec, "hf://org/model", "/store/model", ConversionState.Running, DateTimeOffset.UtcNow)
        {
            Phase = ConversionPhase.Downloading,
            BytesDone = 512 << 20,
            TotalBytes = 1 << 30,
            ItemsDone = 1,
            ItemCount = 3,
            BytesPerSecond = 100e6,
            Eta = TimeSpan.FromSeconds(5),
        };

        await page.InvokeAsync(() => runner.Show(running));

        page.WaitForAssertion(() =>
        {
            var figures = page.Find("[data-testid=conversion-figures]").TextContent;
            Assert.Contains("downloading", figures, StringComparison.Ordinal);
            Assert.Contains("1/3 files", figures, StringComparison.Ordinal);
            Assert.Contains("512.0 MiB of 1.0 GiB", figures, StringComparison.Ordinal);
            Assert.Contains("100.0 MB/s", figures, StringComparison.Ordinal);
            Assert.Contains("ETA 5.0 s", figures, StringComparison.Ordinal);
        });
        page.Find("[data-testid=cancel-conversion]").Click();
        Assert.Equal(["c1"], runner.Cancelled);

        var listings = store.Listings;
        await page.InvokeAsync(() => runner.Show(running with { State = ConversionState.Completed, Phase = ConversionPhase.Completed }));
        page.WaitForAssertion(() => Assert.Equal(listings + 1, store.Listings));
        Assert.Empty(page.FindAll("[data-testid=cancel-conversion]"));
    }

    [Fact]
    public async Task A_failed_conversion_shows_its_error()
    {
        await using var context = BunitSetup.Create();
        var runner = new FakeConversionRunner();
        context.Services.AddSingleton<IModelStore>(new FakeModelStore());
        context.Services.AddSingleton<IConversionRunner>(runner);
        var page = context.Render<ModelsPage>();
        var spec = new ConversionSpec(SourceKind.Folder, "/nowhere", null, "float16", "model");

        await page.InvokeAsync(() => runner.Show(new ConversionSnapshot("c1", spec, "/nowhere", "/store/model", ConversionState.Failed, DateTimeOffset.UtcNow)
        {
            Error = "Could not find a part of the path '/nowhere'.",
        }));

        page.WaitForAssertion(() => Assert.Contains("/nowhere", page.Find("[data-testid=conversion-error]").TextContent, StringComparison.Ordinal));
        Assert.Equal("failed", page.Find("[data-testid=conversion]").GetAttribute("data-state"));
    }
}
