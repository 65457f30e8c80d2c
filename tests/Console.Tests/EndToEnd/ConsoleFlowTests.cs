using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;

namespace AdminConsole.Tests.EndToEnd;

/// <summary>
/// The flow in a real browser: the console watches an inference service that is down come up and load the
/// tiny GPT-J to ready, converts the built-in tiny GPT-J into a temporary model store and sees it complete and listed,
/// streams a prompt's answer in the playground, and sees the service healthy. Screenshots of each step go to <see cref="Browser.Screenshots"/>.
/// </summary>
public sealed class ConsoleFlowTests : IAsyncLifetime
{
    private static readonly PageWaitForSelectorOptions Long = new() { Timeout = 60_000 };
    private readonly string _store = Directory.CreateTempSubdirectory("console-store-").FullName;
    private readonly int _inferencePort = Servers.FreePort();
    private WebApplication? _console;
    private WebApplication? _inference;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        _console = await Servers.StartConsoleAsync(new()
        {
            ["Console:ModelStore"] = _store,
            ["Console:Services:gptj"] = $"http://127.0.0.1:{_inferencePort}",
            ["Console:PollInterval"] = "00:00:00.200",
        });
        (_playwright, _browser) = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        foreach (var app in new[] { _inference, _console })
        {
            if (app is not null)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }

        Directory.Delete(_store, recursive: true);
    }

    [Fact]
    public async Task Watches_a_load_converts_the_tiny_model_and_streams_a_prompt()
    {
        var page = await _browser!.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var console = Servers.Address(_console!);

        // Load telemetry: the service is down, then comes up and loads to ready.
        await page.GotoAsync(new Uri(console, "loads").ToString());
        await page.WaitForSelectorAsync("[data-testid=load-card][data-phase=unreachable]", Long);
        StringAssert(await page.TextContentAsync("[data-testid=load-error]"), "unreachable");
        await Browser.ScreenshotAsync(page, "1-load-service-down");
        _inference = await Servers.StartInferenceAsync(_inferencePort);
        await page.WaitForSelectorAsync("[data-testid=load-card][data-phase=ready]", Long);
        await page.WaitForSelectorAsync("[data-testid=load-history] tbody tr:has-text('ready')", Long);
        await Browser.ScreenshotAsync(page, "2-load-ready");

        // Models: convert the built-in tiny GPT-J into the store and see it complete and listed.
        await page.ClickAsync("nav >> text=Models");
        await page.WaitForSelectorAsync("text=No models in the store yet.", Long);
        await page.ClickAsync("[data-testid=source-kind]");
        await page.ClickAsync(".mud-popover-open >> text=Built-in tiny GPT-J");
        await page.FillAsync("[data-testid=destination]", "tiny-gptj");
        await page.ClickAsync("[data-testid=start-conversion]");
        await page.WaitForSelectorAsync("[data-testid=conversion][data-state=completed]", Long);
        var row = await page.WaitForSelectorAsync("[data-testid=model-table] tbody tr:has-text('tiny-gptj')", Long);
        var text = await row!.TextContentAsync();
        StringAssert(text, "builtin://tiny-gptj");
        StringAssert(text, "float16");
        StringAssert(text, "complete");
        Assert.True(File.Exists(Path.Combine(_store, "tiny-gptj", ".tensorizer-complete.json")));
        await Browser.ScreenshotAsync(page, "3-conversion-completed");

        // Playground: OpenAI completions, streamed; the output element must change piece by piece, not once at the end.
        await page.ClickAsync("nav >> text=Playground");
        await page.FillAsync("textarea[data-testid=prompt]", "Once upon a time");
        await page.EvaluateAsync(
            "() => { window.outputChanges = 0; new MutationObserver(records => window.outputChanges += records.length)"
            + ".observe(document.querySelector('[data-testid=prompt-output]'), { subtree: true, childList: true, characterData: true }); }");
        await page.ClickAsync("[data-testid=send]");
        await page.WaitForFunctionAsync(
            "() => { const t = document.querySelector('[data-testid=tokens-per-second]'); return t && t.textContent.trim() !== '—'; }",
            null,
            new PageWaitForFunctionOptions { Timeout = 60_000 });
        var output = await page.TextContentAsync("[data-testid=prompt-output]");
        Assert.StartsWith("Once upon a time", output, StringComparison.Ordinal);
        Assert.True(output!.Length > "Once upon a time".Length, $"no text came back: '{output}'");
        Assert.Equal(0, await page.Locator("[data-testid=prompt-error]").CountAsync());
        var changes = await page.EvaluateAsync<int>("() => window.outputChanges");
        Assert.True(changes >= 8, $"the output changed {changes} times for 32 streamed tokens");
        await Browser.ScreenshotAsync(page, "4-playground-streamed");

        // Health: the service is up and ready, the store reachable.
        await page.ClickAsync("nav >> text=Health");
        await page.WaitForSelectorAsync("[data-testid=health-state]:has-text('healthy')", Long);
        StringAssert(await page.TextContentAsync("[data-testid=store-health]"), "reachable, 1 model");
        await Browser.ScreenshotAsync(page, "5-health");
    }

    private static void StringAssert(string? text, string expected) => Assert.Contains(expected, text ?? "", StringComparison.Ordinal);
}
