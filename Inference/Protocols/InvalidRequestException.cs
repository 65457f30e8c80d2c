namespace Inference.Protocols;

/// <summary>
/// The request is malformed or asks for something invalid: HTTP 400 in every protocol. <see cref="Param"/> names the
/// field at fault (with its path inside the body) where one is, for protocols whose errors carry it (OpenAI's).
/// </summary>
public sealed class InvalidRequestException(string message, string? param = null) : Exception(message)
{
    public string? Param { get; } = param;
}
