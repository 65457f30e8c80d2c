using System.Text.Encodings.Web;
using AdminConsole.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AdminConsole.Security;

/// <summary>
/// <c>Authorization: Bearer &lt;token&gt;</c> for scripts: the access token itself, compared in constant time. No
/// session is kept; every request carries the header. A challenge is a plain 401 naming the scheme.
/// </summary>
internal sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ConsoleOptions console)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string Prefix = "Bearer ";

    /// <summary>Whether the request carries a bearer header at all (then this scheme, not the cookie, decides).</summary>
    public static bool IsPresent(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!IsPresent(Request))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (console.AccessToken is not { } token)
        {
            return Task.FromResult(AuthenticateResult.Fail("No access token is configured."));
        }

        var presented = Request.Headers.Authorization.ToString()[Prefix.Length..].Trim();
        return Task.FromResult(AccessToken.Matches(presented, token)
            ? AuthenticateResult.Success(new AuthenticationTicket(AccessToken.Operator(token, Scheme.Name), Scheme.Name))
            : AuthenticateResult.Fail("The bearer token is not the console's access token."));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }
}
