using AdminConsole.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;

namespace AdminConsole.Security;

/// <summary>
/// Sign-in on ASP.NET Core's own authentication. When <c>Console:AccessToken</c> is set, every endpoint but the login
/// form and the health probes needs the operator: a session cookie opened by the login form (it expires after
/// <see cref="ConsoleOptions.SessionLifetime"/> without a request, sliding), or the token as a bearer header. Without
/// a token (a local run) everything is open, as before.
/// </summary>
public static class ConsoleAuthentication
{
    /// <summary>The default scheme: a bearer header goes to <see cref="BearerScheme"/>, anything else to <see cref="CookieScheme"/>.</summary>
    public const string Scheme = "Console";

    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;

    public const string BearerScheme = "Bearer";

    /// <summary>Required on the pages and, as the fallback policy, on everything else not marked anonymous.</summary>
    public const string Policy = "ConsoleOperator";

    public const string CookieName = "console-access";

    public const string LoginPath = "/login";

    public static IServiceCollection AddConsoleAuthentication(this IServiceCollection services, ConsoleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Cookie or bearer token", scheme =>
                scheme.ForwardDefaultSelector = context => BearerTokenHandler.IsPresent(context.Request) ? BearerScheme : CookieScheme)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerScheme, configureOptions: null)
            .AddCookie(CookieScheme, cookie =>
            {
                cookie.Cookie.Name = CookieName;
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.ExpireTimeSpan = options.SessionLifetime;
                cookie.SlidingExpiration = true;
                cookie.LoginPath = LoginPath;
                cookie.Events = new CookieAuthenticationEvents
                {
                    OnRedirectToLogin = SendToLoginOrRefuse,
                    OnRedirectToAccessDenied = context =>
                    {
                        context.Response.StatusCode = StatusCodes.Status403Forbidden;
                        return Task.CompletedTask;
                    },
                    OnValidatePrincipal = context => RejectOtherTokens(context, options),
                };
            });

        var policy = options.AccessToken is null
            ? new AuthorizationPolicyBuilder().RequireAssertion(_ => true).Build() // a local run: open, as the gate was
            : new AuthorizationPolicyBuilder(Scheme).RequireAuthenticatedUser().Build();
        services.AddAuthorizationBuilder()
            .AddPolicy(Policy, policy)
            .SetFallbackPolicy(policy); // the circuit's hub, static assets, anything without its own metadata
        return services;
    }

    /// <summary>
    /// Browsers asking for a page go to the login form, which brings them back; anything else (scripts, the circuit's
    /// hub, fetches) gets 401 naming the bearer scheme.
    /// </summary>
    private static Task SendToLoginOrRefuse(RedirectContext<CookieAuthenticationOptions> context)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) && request.Headers.Accept.ToString().Contains("text/html", StringComparison.Ordinal))
        {
            var returnUrl = request.PathBase + request.Path + request.QueryString;
            context.Response.Redirect(request.PathBase + LoginPath + QueryString.Create("returnUrl", returnUrl));
            return Task.CompletedTask;
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }

    /// <summary>A session opened with another token (the Secret was rotated) is over.</summary>
    private static async Task RejectOtherTokens(CookieValidatePrincipalContext context, ConsoleOptions options)
    {
        if (options.AccessToken is not { } token
            || context.Principal?.FindFirst(AccessToken.FingerprintClaim)?.Value != AccessToken.Fingerprint(token))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieScheme);
        }
    }
}
