namespace Inference.Protocols;

/// <summary>The request is malformed or asks for something invalid: HTTP 400 in every protocol.</summary>
public sealed class InvalidRequestException(string message) : Exception(message);
