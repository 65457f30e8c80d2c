namespace Models.Generation;

/// <summary>
/// Why a sequence stopped: a stop sequence or the end-of-text token, the token limit, its caller left, or it failed
/// on its own (invalid options, a sampling error) while the rest of its batch went on.
/// </summary>
public enum FinishReason
{
    Stop,
    Length,
    Cancelled,
    Failed,
}

/// <summary>One finished continuation: the new token ids and their text (cut before any stop sequence).</summary>
public sealed record GenerationResult(IReadOnlyList<int> PromptTokens, IReadOnlyList<int> Tokens, string Text, FinishReason FinishReason)
{
    /// <summary>Why this sequence failed, when <see cref="FinishReason"/> is <see cref="FinishReason.Failed"/>.</summary>
    public Exception? Error { get; init; }
}

/// <summary>A step of a streamed continuation: a token and the text it completed (may be empty mid-character).</summary>
public sealed record GeneratedToken(int Id, string Text, FinishReason? FinishReason);
