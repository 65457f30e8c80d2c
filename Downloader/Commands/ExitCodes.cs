namespace Downloader.Commands;

/// <summary>Process exit codes, stable for scripts and Kubernetes Jobs.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The file is well-formed but its hashes do not match, or an encrypted tensor fails authentication.</summary>
    public const int VerificationFailed = 1;

    /// <summary>The input is missing, malformed (bytes its index does not account for included) or unsupported.</summary>
    public const int BadInput = 2;
}
