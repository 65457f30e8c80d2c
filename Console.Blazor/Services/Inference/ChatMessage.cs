namespace AdminConsole.Services.Inference;

/// <summary>One message of a chat: its role (<see cref="System"/>, <see cref="User"/> or <see cref="Assistant"/>) and text.</summary>
public sealed record ChatMessage(string Role, string Content)
{
    public const string System = "system";

    public const string User = "user";

    public const string Assistant = "assistant";
}
