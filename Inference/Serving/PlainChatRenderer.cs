using System.Text;

namespace Inference.Serving;

/// <summary>
/// The chat format of a model without a chat template (Hugging Face's GPT-J tokenizer_config.json defines no
/// <c>chat_template</c>; until Jinja templates are wired in, every model gets this one):
/// each message as a line <c>{Role}: {content}</c>, with the role <c>System</c> (also for <c>developer</c>),
/// <c>User</c> or <c>Assistant</c>, and then <c>Assistant:</c> for the model's turn:
/// <code>
/// System: You are terse.
/// User: Hi!
/// Assistant: Hello.
/// User: Tell me a story.
/// Assistant:
/// </code>
/// The model's reply ends at <see cref="TurnEnd"/> (its start of a user turn), which is added to the request's
/// stop sequences, and the reply's leading whitespace (the space after <c>Assistant:</c>) is dropped. The prompt is
/// plain text, so it is tokenized as a completion's prompt is: with the tokenizer's special tokens (Llama's
/// beginning-of-text) added.
/// </summary>
internal sealed class PlainChatRenderer : IChatRenderer
{
    /// <summary>Where the model starts writing the user's next turn: the assistant's turn is over.</summary>
    public const string TurnEnd = "\nUser:";

    public static PlainChatRenderer Instance { get; } = new();

    public ChatPrompt Render(IReadOnlyList<ChatTurn> turns) => new(Text(turns), [TurnEnd], AddSpecialTokens: true);

    public static string Text(IEnumerable<ChatTurn> turns)
    {
        var prompt = new StringBuilder();
        foreach (var (role, content) in turns)
        {
            prompt.Append(Label(role)).Append(": ").Append(content).Append('\n');
        }

        return prompt.Append(Label("assistant")).Append(':').ToString();
    }

    private static string Label(string role) => role switch
    {
        "system" or "developer" => "System",
        "user" => "User",
        "assistant" => "Assistant",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "The plain chat template knows system, user and assistant."),
    };
}
