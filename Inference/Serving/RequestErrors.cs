namespace Inference.Serving;

/// <summary>
/// The request is malformed or asks for something invalid: HTTP 400 in every protocol, the one error thrown for bad
/// input. <see cref="Param"/> names the field at fault (with its path inside the body) where one is, and
/// <see cref="Code"/> says why in a word (<c>invalid_type</c>, <c>unknown_parameter</c>, <c>context_length_exceeded</c>,
/// …; <c>invalid_value</c> when null), for protocols whose errors carry them (OpenAI's). Anything else a handler
/// throws, <see cref="ArgumentException"/> included, is the server's fault: a 500.
/// </summary>
public sealed class InvalidRequestException(string message, string? param = null, string? code = null) : Exception(message)
{
    public string? Param { get; } = param;

    public string? Code { get; } = code;
}

/// <summary>The request names a model this server does not serve: 404 in every protocol.</summary>
public sealed class ModelNotFoundException(string name) : Exception($"Model with name {name} does not exist.")
{
    public string Name { get; } = name;
}

/// <summary>The model is not loaded (yet, or its load failed): 503 in every protocol.</summary>
public sealed class ModelNotReadyException(string name) : Exception($"Model with name {name} is not ready.")
{
    public string Name { get; } = name;
}

/// <summary>The queue is full: the caller should retry later (HTTP 503 with <c>Retry-After</c>).</summary>
public sealed class QueueFullException(int capacity, string? message = null)
    : Exception(message ?? $"The server is busy: {capacity} requests are already waiting. Retry later.")
{
    /// <summary>The <c>Retry-After</c> the 503 carries.</summary>
    public int RetryAfterSeconds { get; init; } = 1;
}
