namespace Models.Tokenization;

/// <summary>
/// The text needs more than <see cref="MaxTokens"/> tokens; tokenizing stopped there (or never started, when its
/// length alone proves it).
/// </summary>
public sealed class PromptTooLongException(int maxTokens)
    : Exception($"The text needs more than {maxTokens} tokens.")
{
    /// <summary>The limit the text exceeds.</summary>
    public int MaxTokens { get; } = maxTokens;
}
