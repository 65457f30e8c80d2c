namespace Inference.Serving;

/// <summary>
/// How a model's chats become prompts: the plain template (<see cref="PlainChatRenderer"/>) for models without one,
/// a model's own chat template (Jinja, rendered with its <see cref="ChatTokens"/>) for the others. One per loaded
/// model, made when it loads (a template it cannot render is an error then, not at the first request); thread-safe.
/// </summary>
public interface IChatRenderer
{
    /// <summary>The prompt for the model's turn after <paramref name="turns"/>, as <c>apply_chat_template(add_generation_prompt=True)</c>.</summary>
    /// <exception cref="InvalidRequestException">The chat is one the template refuses (its <c>raise_exception</c>).</exception>
    ChatPrompt Render(IReadOnlyList<ChatTurn> turns);
}

/// <summary>The special tokens a chat template writes (<c>bos_token</c>, <c>eos_token</c>), from the model's tokenizer; null where it has none.</summary>
public sealed record ChatTokens(string? BeginningOfText, string? EndOfText);
