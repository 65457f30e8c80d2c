using System.Security.Cryptography;
using System.Text;
using AdminConsole.Configuration;

namespace AdminConsole.Security;

/// <summary>
/// When <c>Console:AccessToken</c> is set, every request needs it: as <c>Authorization: Bearer …</c>, or as the
/// cookie the login form sets (a keyed hash of the token, never the token itself). Browsers are sent to the login
/// form; other clients get 401. Health probes stay open for the kubelet.
/// </summary>
public sealed class AccessGate(RequestDelegate next, ConsoleOptions options)
{
    public const string CookieName = "console-access";

    private static readonly string[] OpenPaths = ["/login", "/health", "/alive"];

    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (options.AccessToken is not { } token || IsOpen(context.Request.Path) || Allows(context.Request, token))
        {
            return next(context);
        }

        if (HttpMethods.IsGet(context.Request.Method) && context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.Ordinal))
        {
            context.Response.Redirect($"/login?returnUrl={Uri.EscapeDataString(context.Request.Path + context.Request.QueryString)}");
            return Task.CompletedTask;
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }

    /// <summary>The cookie value that proves the token was entered.</summary>
    public static string Proof(string token) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(token), "tensorizer-console-access"u8));

    public static bool Matches(string? presented, string expected) => presented is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));

    private static bool IsOpen(PathString path) => OpenPaths.Any(open => path.Equals(open, StringComparison.OrdinalIgnoreCase));

    private static bool Allows(HttpRequest request, string token)
    {
        var authorization = request.Headers.Authorization.ToString();
        return (authorization.StartsWith("Bearer ", StringComparison.Ordinal) && Matches(authorization["Bearer ".Length..].Trim(), token))
            || Matches(request.Cookies[CookieName], Proof(token));
    }
}
