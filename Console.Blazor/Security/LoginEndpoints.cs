using System.Net;
using AdminConsole.Configuration;

namespace AdminConsole.Security;

/// <summary>
/// A plain HTML login form (no Blazor: it must work before the circuit is allowed) that checks the access token and
/// sets the <see cref="AccessGate"/> cookie; <c>/logout</c> clears it.
/// </summary>
public static class LoginEndpoints
{
    public static void MapLogin(this IEndpointRouteBuilder app, ConsoleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        app.MapGet("/login", (string? returnUrl) => Page(returnUrl, error: null));
        app.MapPost("/login", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var returnUrl = form["returnUrl"].ToString();
            if (options.AccessToken is not { } token || !AccessGate.Matches(form["token"].ToString(), token))
            {
                return Page(returnUrl, error: options.AccessToken is null ? "No access token is configured." : "That token is not the console's access token.");
            }

            context.Response.Cookies.Append(AccessGate.CookieName, AccessGate.Proof(token), new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Secure = context.Request.IsHttps,
                MaxAge = TimeSpan.FromDays(7),
            });
            return Results.Redirect(IsLocal(returnUrl) ? returnUrl : "/");
        }).DisableAntiforgery();
        app.MapGet("/logout", (HttpContext context) =>
        {
            context.Response.Cookies.Delete(AccessGate.CookieName);
            return Results.Redirect("/login");
        });
    }

    /// <summary>Only paths on this site: an open redirect would hand the cookie's authority to anyone's link.</summary>
    private static bool IsLocal(string url) => url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal);

    private static IResult Page(string? returnUrl, string? error) => Results.Content(
        $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Console sign-in</title>
        <style>body{font-family:sans-serif;max-width:24rem;margin:4rem auto}input{width:100%;padding:.5rem;margin:.5rem 0}.error{color:#b00020}</style>
        </head><body>
        <h1>Tensorizer console</h1>
        <p>Enter the access token the operator configured (<code>Console:AccessToken</code>).</p>
        {{(error is null ? "" : $"<p class=\"error\" role=\"alert\">{WebUtility.HtmlEncode(error)}</p>")}}
        <form method="post" action="/login">
        <input type="password" name="token" autocomplete="current-password" aria-label="Access token" autofocus required>
        <input type="hidden" name="returnUrl" value="{{WebUtility.HtmlEncode(returnUrl ?? "/")}}">
        <button type="submit">Sign in</button>
        </form></body></html>
        """,
        "text/html; charset=utf-8",
        statusCode: error is null ? StatusCodes.Status200OK : StatusCodes.Status401Unauthorized);
}
