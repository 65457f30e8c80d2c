namespace AdminConsole.Services.Inference;

/// <summary>A service answered with an error, or could not be reached; the message is meant to be shown as it is.</summary>
public sealed class InferenceException : Exception
{
    public InferenceException()
    {
    }

    public InferenceException(string message) : base(message)
    {
    }

    public InferenceException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public int? StatusCode { get; init; }
}
