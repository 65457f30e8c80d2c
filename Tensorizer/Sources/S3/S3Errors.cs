using System.Net;
using Amazon.Runtime;
using Tensorizer.Format;

namespace Tensorizer.Sources.S3;

/// <summary>Turns S3's error responses into messages that name the object and say what to fix.</summary>
public static class S3Errors
{
    private static readonly HashSet<string> CredentialCodes = new(StringComparer.Ordinal)
    {
        "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
    };

    /// <summary>HEAD responses carry no body, so their 403/404 say nothing about why; a GET of the same object does.</summary>
    public static bool NeedsDiagnosis(AmazonServiceException e) => e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden;

    public static TensorizerException Translate(AmazonServiceException e, S3Location location, string? pinnedEtag = null)
    {
        var code = e.ErrorCode ?? "";
        var detail = string.IsNullOrEmpty(e.Message) || e.Message == code ? code : $"{code}: {e.Message}";
        var message = code switch
        {
            "NoSuchBucket" => $"{location}: no such bucket '{location.Bucket}'.",
            "NoSuchKey" => $"{location}: no such key.",
            "PreconditionFailed" or "412" when pinnedEtag is not null =>
                $"{location} was replaced while it was being read (its ETag is no longer {pinnedEtag}); open it again to read the new version.",
            _ when CredentialCodes.Contains(code) || e.StatusCode == HttpStatusCode.Forbidden =>
                $"{location}: access denied ({detail}); check the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) and the bucket policy.",
            _ when e.StatusCode == HttpStatusCode.NotFound => $"{location}: no such key.",
            _ => $"{location}: S3 error {detail} (HTTP {(int)e.StatusCode}).",
        };
        return new TensorizerException(message, e);
    }
}
