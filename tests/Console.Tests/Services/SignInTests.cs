using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace AdminConsole.Tests.Services;

/// <summary>
/// Cluster-mode sign-in: nothing without the token except the login form and the health probes; the form (with its
/// antiforgery token) opens a cookie session that slides and expires on the console's clock; scripts send the token
/// as a bearer header.
/// </summary>
public sealed partial class SignInTests : IAsyncLifetime
{
    private const string Token = "s3cret-token";
    private readonly string _store = Directory.CreateTempSubdirectory("console-store-").FullName;
    private readonly ManualClock _clock = new(DateTimeOffset.UtcNow); // the cookie container expires cookies on the real clock
    private WebApplication? _console;

    public async Task InitializeAsync() => _console = await EndToEnd.Servers.StartConsoleAsync(
        new()
        {
            ["Console:AccessToken"] = Token,
            ["Console:ModelStore"] = _store,
            ["Console:SessionLifetime"] = "01:00:00",
        },
        builder => builder.Services.AddSingleton<TimeProvider>(_clock));

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

        using var browser = await http.SendAsync(PageRequest("/loads?x=1"));
        using var api = await http.PostAsync(new Uri("/_blazor/negotiate?negotiateVersion=1", UriKind.Relative), null);
        using var health = await http.GetAsync(new Uri("/health", UriKind.Relative));
        using var alive = await http.GetAsync(new Uri("/alive", UriKind.Relative));
        using var login = await http.GetAsync(new Uri("/login", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Redirect, browser.StatusCode);
        Assert.Equal("/login?returnUrl=%2Floads%3Fx%3D1", browser.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal("Bearer", api.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task A_bearer_token_opens_pages_and_the_circuits_endpoint_and_a_wrong_one_does_not()
    {
        using var http = Client(out var cookies);
        http.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        using var page = await http.SendAsync(PageRequest("/"));
        using var negotiate = await http.PostAsync(new Uri("/_blazor/negotiate?negotiateVersion=1", UriKind.Relative), null);

        http.DefaultRequestHeaders.Authorization = new("Bearer", Token + "x");
        using var wrong = await http.SendAsync(PageRequest("/"));
        http.DefaultRequestHeaders.Authorization = new("Bearer", Token[..^1]);
        using var prefix = await http.PostAsync(new Uri("/_blazor/negotiate?negotiateVersion=1", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(HttpStatusCode.OK, negotiate.StatusCode);
        Assert.Contains("connectionToken", await negotiate.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(cookies.GetAllCookies(), c => c.Name == "console-access"); // a script gets no session
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode); // a bad bearer header is refused, not sent to the form
        Assert.Equal(HttpStatusCode.Unauthorized, prefix.StatusCode);
    }

    [Fact]
    public async Task A_wrong_token_is_refused_and_opens_no_session()
    {
        using var http = Client(out var cookies);
        using var wrong = await http.PostAsync(new Uri("/login", UriKind.Relative), await LoginFormAsync(http, "nope", "/loads"));

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("is not the console", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(cookies.GetAllCookies(), c => c.Name == "console-access");
        using var page = await http.SendAsync(PageRequest("/loads"));
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
    }

    [Fact]
    public async Task The_right_token_opens_a_session_cookie_that_is_not_the_token_and_redirects_only_within_the_site()
    {
        using var http = Client(out var cookies);
        using var right = await http.PostAsync(new Uri("/login", UriKind.Relative), await LoginFormAsync(http, Token, "/loads"));

        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        Assert.Equal("/loads", right.Headers.Location?.OriginalString);
        var cookie = Assert.Single(cookies.GetAllCookies(), c => c.Name == "console-access");
        Assert.True(cookie.HttpOnly);
        Assert.DoesNotContain(Token, cookie.Value, StringComparison.Ordinal);
        var header = Assert.Single(right.Headers.GetValues("Set-Cookie"), h => h.StartsWith("console-access=", StringComparison.Ordinal));
        Assert.Contains("samesite=strict", header, StringComparison.OrdinalIgnoreCase);
        using var page = await http.SendAsync(PageRequest("/loads"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        using var offsite = await http.PostAsync(new Uri("/login", UriKind.Relative), await LoginFormAsync(http, Token, "//evil.example/"));
        Assert.Equal("/", offsite.Headers.Location?.OriginalString);

        using var logout = await http.GetAsync(new Uri("/logout", UriKind.Relative));
        Assert.Equal("/login", logout.Headers.Location?.OriginalString);
        using var after = await http.SendAsync(PageRequest("/loads"));
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task A_login_post_without_the_forms_antiforgery_token_is_refused()
    {
        using var http = Client(out var cookies);
        await LoginFormAsync(http, Token, "/loads"); // the antiforgery cookie is there; the form field is not sent
        using var forged = await http.PostAsync(
            new Uri("/login", UriKind.Relative),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = Token, ["returnUrl"] = "/loads" }));

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("did not come from this console", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(cookies.GetAllCookies(), c => c.Name == "console-access");
    }

    [Fact]
    public async Task A_session_slides_with_use_and_ends_after_its_lifetime_idle()
    {
        using var http = Client(out _);
        using var login = await http.PostAsync(new Uri("/login", UriKind.Relative), await LoginFormAsync(http, Token, "/loads"));
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);

        // 45 minutes into a one-hour session: past half, so this request renews it for another hour.
        _clock.Advance(TimeSpan.FromMinutes(45));
        using (var renewed = await http.SendAsync(PageRequest("/loads")))
        {
            Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        }

        // 100 minutes after signing in, 55 after the renewal: still open.
        _clock.Advance(TimeSpan.FromMinutes(55));
        using (var open = await http.SendAsync(PageRequest("/loads")))
        {
            Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        }

        // An hour and more without a request: back to the login form.
        _clock.Advance(TimeSpan.FromMinutes(61));
        using var expired = await http.SendAsync(PageRequest("/loads"));
        Assert.Equal(HttpStatusCode.Redirect, expired.StatusCode);
        Assert.Equal("/login?returnUrl=%2Floads", expired.Headers.Location?.OriginalString);
    }

    private static HttpRequestMessage PageRequest(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Accept.ParseAdd("text/html");
        return request;
    }

    /// <summary>Fetches the login form as a browser would and fills it in, its antiforgery field included.</summary>
    private static async Task<FormUrlEncodedContent> LoginFormAsync(HttpClient http, string token, string returnUrl)
    {
        var form = await http.GetStringAsync(new Uri("/login", UriKind.Relative));
        var field = AntiforgeryField().Match(form);
        Assert.True(field.Success, form);
        return new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = token,
            ["returnUrl"] = returnUrl,
            [WebUtility.HtmlDecode(field.Groups["name"].Value)] = WebUtility.HtmlDecode(field.Groups["value"].Value),
        });
    }

    [GeneratedRegex("""<input type="hidden" name="(?<name>__RequestVerificationToken[^"]*)" value="(?<value>[^"]+)">""")]
    private static partial Regex AntiforgeryField();

    private HttpClient Client(out CookieContainer cookies)
    {
        cookies = new CookieContainer();
#pragma warning disable CA2000 // the client owns the handler
        var handler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies };
#pragma warning restore CA2000
        return new HttpClient(handler, disposeHandler: true) { BaseAddress = EndToEnd.Servers.Address(_console!) };
    }

    /// <summary>The console's clock, moved by the test: a session's hours pass at once.</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
