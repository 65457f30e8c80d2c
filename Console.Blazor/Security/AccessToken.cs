using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;

namespace AdminConsole.Security;

/// <summary>The operator's access token (<c>Console:AccessToken</c>): how a presented one is compared, and who it signs in.</summary>
internal static class AccessToken
{
    /// <summary>The claim that ties a session to the token it was opened with: a new token ends every older session.</summary>
    public const string FingerprintClaim = "console:token-fingerprint";

    /// <summary>
    /// Compares in constant time. Both sides are hashed first, so neither the length nor any prefix of the token
    /// shows in how long a refusal takes.
    /// </summary>
    public static bool Matches(string? presented, string expected) => presented is not null
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));

    /// <summary>A keyed hash of the token (never the token itself), kept in the session's ticket.</summary>
    public static string Fingerprint(string token) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(token), "tensorizer-console-session"u8));

    /// <summary>The one identity the console knows: whoever holds the token.</summary>
    public static ClaimsPrincipal Operator(string token, string authenticationType) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, "operator"), new Claim(FingerprintClaim, Fingerprint(token))],
        authenticationType));
}
