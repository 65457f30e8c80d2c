using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;

namespace AdminConsole.Tests.EndToEnd;

/// <summary>
/// Signing in with a real browser: a page sends it to the login form, a wrong token is refused there, the right one
/// brings it back to the page, whose interactive circuit (pages render only in it) connects on the session cookie.
/// </summary>
public sealed class SignInFlowTests : IAsyncLifetime
{
    private const string Token = "browser-token";
    private static readonly PageWaitForSelectorOptions Long = new() { Timeout = 60_000 };
    private readonly string _store = Directory.CreateTempSubdirectory("console-store-").FullName;
    private WebApplication? _console;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        _console = await Servers.StartConsoleAsync(new() { ["Console:ModelStore"] = _store, ["Console:AccessToken"] = Token });
        (_playwright, _browser) = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_console is not null)
        {
            await _console.StopAsync();
            await _console.DisposeAsync();
        }

        Directory.Delete(_store, recursive: true);
    }

    [Fact]
    public async Task The_login_form_signs_in_and_the_page_comes_alive()
    {
        var page = await _browser!.NewPageAsync();
        await page.GotoAsync(new Uri(Servers.Address(_console!), "loads").ToString());
        Assert.EndsWith("/login?returnUrl=%2Floads", page.Url, StringComparison.Ordinal);

        await page.FillAsync("input[name=token]", "not-the-token");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("[role=alert]:has-text('is not the console')", Long);
        await Browser.ScreenshotAsync(page, "0-sign-in-refused");

        await page.FillAsync("input[name=token]", Token);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("text=No inference service is configured", Long);
        Assert.EndsWith("/loads", page.Url, StringComparison.Ordinal);
        await Browser.ScreenshotAsync(page, "0-signed-in");
    }
}
