using System.Text;

namespace Inference.Serving;

/// <summary>
/// How a chat becomes a prompt. GPT-J has no chat template (Hugging Face's GPT-J tokenizer_config.json defines no
/// <c>chat_template</c>), and Jinja templates are not supported, so every chat is rendered with this plain one:
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
/// stop sequences, and the reply's leading whitespace (the space after <c>Assistant:</c>) is dropped.
/// </summary>
internal static class ChatTemplate
{
    /// <summary>Where the model starts writing the user's next turn: the assistant's turn is over.</summary>
    public const string TurnEnd = "\nUser:";

    public static string Render(IEnumerable<ChatTurn> turns)
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
