using System.Net;
using Microsoft.AspNetCore.Builder;

namespace AdminConsole.Tests.Services;

/// <summary>The cluster-mode gate: nothing without the token, except the login form and the health probes.</summary>
public sealed class AccessGateTests : IAsyncLifetime
{
    private const string Token = "s3cret-token";
    private readonly string _store = Directory.CreateTempSubdirectory("console-store-").FullName;
    private WebApplication? _console;

    public async Task InitializeAsync() => _console = await EndToEnd.Servers.StartConsoleAsync(new()
    {
        ["Console:AccessToken"] = Token,
        ["Console:ModelStore"] = _store,
    });

    public async Task DisposeAsync()
    {
        if (_console is not null)
        {
            await _console.DisposeAsync();
        }

        Directory.Delete(_store, recursive: true);
    }

    [Fact]
    public async Task Without_the_token_browsers_go_to_the_login_form_and_other_clients_get_401()
    {
        using var http = Client(out _);
        using var page = new HttpRequestMessage(HttpMethod.Get, "/loads?x=1");
        page.Headers.Accept.ParseAdd("text/html");

        using var browser = await http.SendAsync(page);
        using var api = await http.GetAsync(new Uri("/_blazor/negotiate", UriKind.Relative));
        using var health = await http.GetAsync(new Uri("/health", UriKind.Relative));
        using var login = await http.GetAsync(new Uri("/login", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Redirect, browser.StatusCode);
        Assert.Equal("/login?returnUrl=%2Floads%3Fx%3D1", browser.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task A_bearer_token_is_enough_and_a_wrong_one_is_not()
    {
        using var http = Client(out _);
        http.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        using var right = await http.GetAsync(new Uri("/", UriKind.Relative));
        http.DefaultRequestHeaders.Authorization = new("Bearer", Token + "x");
        using var wrong = await http.GetAsync(new Uri("/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public async Task The_login_form_sets_a_cookie_that_is_not_the_token_and_redirects_only_within_the_site()
    {
        using var http = Client(out var cookies);
        using var wrong = await http.PostAsync(new Uri("/login", UriKind.Relative), Form("nope", "/loads"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("is not the console", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(cookies.GetAllCookies());

        using var right = await http.PostAsync(new Uri("/login", UriKind.Relative), Form(Token, "/loads"));
        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        Assert.Equal("/loads", right.Headers.Location?.OriginalString);
        var cookie = Assert.Single(cookies.GetAllCookies());
        Assert.True(cookie.HttpOnly);
        Assert.DoesNotContain(Token, cookie.Value, StringComparison.Ordinal);
        using var page = await http.GetAsync(new Uri("/loads", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        using var offsite = await http.PostAsync(new Uri("/login", UriKind.Relative), Form(Token, "//evil.example/"));
        Assert.Equal("/", offsite.Headers.Location?.OriginalString);
    }

    private HttpClient Client(out CookieContainer cookies)
    {
        cookies = new CookieContainer();
#pragma warning disable CA2000 // the client owns the handler
        var handler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies };
#pragma warning restore CA2000
        return new HttpClient(handler, disposeHandler: true) { BaseAddress = EndToEnd.Servers.Address(_console!) };
    }

    private static FormUrlEncodedContent Form(string token, string returnUrl) =>
        new(new Dictionary<string, string> { ["token"] = token, ["returnUrl"] = returnUrl });
}
