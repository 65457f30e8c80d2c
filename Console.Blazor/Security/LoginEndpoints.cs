using System.Net;
using AdminConsole.Configuration;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;

namespace AdminConsole.Security;

/// <summary>
/// A plain HTML login form (no Blazor: it must work before the circuit is allowed), protected by an antiforgery
/// token, that checks the access token and opens a cookie session; <c>/logout</c> ends it.
/// </summary>
public static class LoginEndpoints
{
    public static void MapLogin(this IEndpointRouteBuilder app, ConsoleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        app.MapGet(ConsoleAuthentication.LoginPath, (HttpContext context, IAntiforgery antiforgery, string? returnUrl) =>
            Page(context, antiforgery, returnUrl, error: null, StatusCodes.Status200OK)).AllowAnonymous();
        app.MapPost(ConsoleAuthentication.LoginPath, async (HttpContext context, IAntiforgery antiforgery) =>
        {
            // UseAntiforgery validated the form (the endpoint requires it); a form from elsewhere, or one older than
            // the keys that signed it, is answered with a fresh form rather than a bare 400.
            if (context.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true })
            {
                return Page(context, antiforgery, returnUrl: null, "The form expired or did not come from this console. Sign in again.", StatusCodes.Status400BadRequest);
            }

            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var returnUrl = form["returnUrl"].ToString();
            if (options.AccessToken is not { } token || !AccessToken.Matches(form["token"].ToString(), token))
            {
                return Page(context, antiforgery, returnUrl, options.AccessToken is null ? "No access token is configured." : "That token is not the console's access token.", StatusCodes.Status401Unauthorized);
            }

            await context.SignInAsync(
                ConsoleAuthentication.CookieScheme,
                AccessToken.Operator(token, ConsoleAuthentication.CookieScheme),
                new AuthenticationProperties { IsPersistent = true, AllowRefresh = true });
            return Results.Redirect(IsLocal(returnUrl) ? returnUrl : "/");
        }).AllowAnonymous().WithMetadata(new RequireAntiforgeryTokenAttribute());
        // Behind the policy like every page: a link from elsewhere (which carries no SameSite=Strict cookie) is sent
        // to the login form rather than ending the session.
        app.MapGet("/logout", async (HttpContext context) =>
        {
            await context.SignOutAsync(ConsoleAuthentication.CookieScheme);
            return Results.Redirect(ConsoleAuthentication.LoginPath);
        });
    }

    /// <summary>Only paths on this site: an open redirect would hand the session's authority to anyone's link.</summary>
    private static bool IsLocal(string url) => url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal);

    private static IResult Page(HttpContext context, IAntiforgery antiforgery, string? returnUrl, string? error, int statusCode)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        return Results.Content(
            $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Console sign-in</title>
            <style>body{font-family:sans-serif;max-width:24rem;margin:4rem auto}input{width:100%;padding:.5rem;margin:.5rem 0}.error{color:#b00020}</style>
            </head><body>
            <h1>Tensorizer console</h1>
            <p>Enter the access token the operator configured (<code>Console:AccessToken</code>).</p>
            {{(error is null ? "" : $"<p class=\"error\" role=\"alert\">{WebUtility.HtmlEncode(error)}</p>")}}
            <form method="post" action="{{ConsoleAuthentication.LoginPath}}">
            <input type="password" name="token" autocomplete="current-password" aria-label="Access token" autofocus required>
            <input type="hidden" name="returnUrl" value="{{WebUtility.HtmlEncode(returnUrl ?? "/")}}">
            <input type="hidden" name="{{WebUtility.HtmlEncode(tokens.FormFieldName)}}" value="{{WebUtility.HtmlEncode(tokens.RequestToken)}}">
            <button type="submit">Sign in</button>
            </form></body></html>
            """,
            "text/html; charset=utf-8",
            statusCode: statusCode);
    }
}
