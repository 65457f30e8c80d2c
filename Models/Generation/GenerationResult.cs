namespace Models.Generation;

/// <summary>Why a sequence stopped: a stop sequence or the end-of-text token, the token limit, or its caller left.</summary>
public enum FinishReason
{
    Stop,
    Length,
    Cancelled,
}

/// <summary>One finished continuation: the new token ids and their text (cut before any stop sequence).</summary>
public sealed record GenerationResult(IReadOnlyList<int> PromptTokens, IReadOnlyList<int> Tokens, string Text, FinishReason FinishReason);

/// <summary>A step of a streamed continuation: a token and the text it completed (may be empty mid-character).</summary>
public sealed record GeneratedToken(int Id, string Text, FinishReason? FinishReason);
