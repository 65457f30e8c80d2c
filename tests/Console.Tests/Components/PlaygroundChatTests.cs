using AdminConsole.Components.Pages;
using AdminConsole.Services.Inference;
using AdminConsole.Tests.Fakes;
using Bunit;
using Microsoft.Extensions.DependencyInjection;

namespace AdminConsole.Tests.Components;

/// <summary>The playground's chat mode: the whole conversation goes out, the reply streams into its bubble and joins the conversation.</summary>
public sealed class PlaygroundChatTests
{
    [Fact]
    public async Task The_reply_streams_into_its_bubble_and_the_next_turn_sends_the_whole_conversation()
    {
        await using var context = BunitSetup.Create();
        var client = new FakeInferenceClient("llama", "Hello", " there", "!") { Gate = new TaskCompletionSource() };
        context.Services.AddSingleton<IInferenceClients>(new FakeInferenceClients(client));
        var page = context.Render<PlaygroundPage>();

        SwitchToChat(page);
        page.Find("textarea[data-testid=chat-system]").Input("Be terse.");
        page.Find("textarea[data-testid=chat-input]").Input("Hi");
        page.Find("[data-testid=chat-send]").Click();

        // Mid-stream: the user's turn is in the conversation and the first piece is in the reply's bubble.
        page.WaitForAssertion(() => Assert.Equal("Hello", page.Find("[data-testid=chat-reply] [data-testid=chat-content]").TextContent));
        Assert.Equal(["user"], page.FindAll("[data-testid=chat-message]").Select(m => m.GetAttribute("data-role")));
        Assert.False(page.Find("[data-testid=chat-stop]").HasAttribute("disabled"));
        Assert.True(page.Find("[data-testid=chat-send]").HasAttribute("disabled"));
        Assert.True(page.Find("[data-testid=mode-completion]").HasAttribute("disabled"));
        client.Gate.SetResult();

        page.WaitForAssertion(() => Assert.Equal(["Hi", "Hello there!"], Contents(page)));
        Assert.Empty(page.FindAll("[data-testid=chat-reply]"));
        Assert.Equal("stop", page.Find("[data-testid=finish-reason]").TextContent);
        Assert.Contains("Tokens: 3", page.Find("[data-testid=prompt-stats]").TextContent, StringComparison.Ordinal);
        var (first, settings) = Assert.Single(client.Chats);
        Assert.Equal([new(ChatMessage.System, "Be terse."), new(ChatMessage.User, "Hi")], first);
        Assert.Equal(32, settings.MaxTokens);

        page.Find("textarea[data-testid=chat-input]").Input("And again?");
        page.Find("[data-testid=chat-send]").Click();

        page.WaitForAssertion(() => Assert.Equal(["Hi", "Hello there!", "And again?", "Hello there!"], Contents(page)));
        Assert.Equal(
            [new(ChatMessage.System, "Be terse."), new(ChatMessage.User, "Hi"), new(ChatMessage.Assistant, "Hello there!"), new(ChatMessage.User, "And again?")],
            client.Chats[1].Messages);
        Assert.Equal(["user", "assistant", "user", "assistant"], page.FindAll("[data-testid=chat-message]").Select(m => m.GetAttribute("data-role")));

        page.Find("[data-testid=chat-clear]").Click();

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=chat-message]")));
        page.Find("textarea[data-testid=chat-input]").Input("Fresh start");
        page.Find("[data-testid=chat-send]").Click();
        page.WaitForAssertion(() => Assert.Equal(3, client.Chats.Count));
        Assert.Equal([new(ChatMessage.System, "Be terse."), new(ChatMessage.User, "Fresh start")], client.Chats[2].Messages);
    }

    [Fact]
    public async Task Stop_cancels_the_reply_and_keeps_what_came()
    {
        await using var context = BunitSetup.Create();
        var client = new FakeInferenceClient("llama", "Once", " upon", " a time") { Gate = new TaskCompletionSource() };
        context.Services.AddSingleton<IInferenceClients>(new FakeInferenceClients(client));
        var page = context.Render<PlaygroundPage>();

        SwitchToChat(page);
        page.Find("textarea[data-testid=chat-input]").Input("Tell me a story");
        page.Find("[data-testid=chat-send]").Click();
        page.WaitForAssertion(() => Assert.Equal("Once", page.Find("[data-testid=chat-reply] [data-testid=chat-content]").TextContent));

        page.Find("[data-testid=chat-stop]").Click();

        page.WaitForAssertion(() => Assert.Equal(["Tell me a story", "Once"], Contents(page)));
        Assert.Equal("Stopped.", page.Find("[data-testid=prompt-error]").TextContent);
        Assert.True(page.Find("[data-testid=chat-stop]").HasAttribute("disabled"));
        Assert.Single(client.Chats);
    }

    [Fact]
    public async Task A_service_error_is_shown_and_the_unanswered_turn_goes_back_to_the_input()
    {
        await using var context = BunitSetup.Create();
        var client = new FakeInferenceClient("llama") { ChatFailsWith = "llama answered 400 Bad Request: Conversation roles must alternate user/assistant/user/assistant/..." };
        context.Services.AddSingleton<IInferenceClients>(new FakeInferenceClients(client));
        var page = context.Render<PlaygroundPage>();

        SwitchToChat(page);
        page.Find("textarea[data-testid=chat-input]").Input("Hi");
        page.Find("[data-testid=chat-send]").Click();

        page.WaitForAssertion(() => Assert.Contains("Conversation roles must alternate", page.Find("[data-testid=prompt-error]").TextContent, StringComparison.Ordinal));
        Assert.Empty(page.FindAll("[data-testid=chat-message]"));
        Assert.Equal("Hi", page.Find("textarea[data-testid=chat-input]").GetAttribute("value") ?? page.Find("textarea[data-testid=chat-input]").TextContent);
        Assert.False(page.Find("[data-testid=chat-send]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task An_unready_service_is_shown_as_the_completion_mode_shows_it()
    {
        await using var context = BunitSetup.Create();
        var client = new FakeInferenceClient("llama") { FailWith = "llama answered 503 Service Unavailable: Model with name llama is not ready." };
        context.Services.AddSingleton<IInferenceClients>(new FakeInferenceClients(client));
        var page = context.Render<PlaygroundPage>();

        SwitchToChat(page);
        page.Find("textarea[data-testid=chat-input]").Input("Hi");
        page.Find("[data-testid=chat-send]").Click();

        page.WaitForAssertion(() => Assert.Equal(
            "llama answered 503 Service Unavailable: Model with name llama is not ready.", page.Find("[data-testid=prompt-error]").TextContent));
        Assert.Empty(client.Chats);
    }

    /// <summary>The switch re-renders through MudBlazor's async click handler: wait for the chat form, not a moment.</summary>
    private static void SwitchToChat(IRenderedComponent<PlaygroundPage> page)
    {
        page.Find("[data-testid=mode-chat]").Click();
        page.WaitForAssertion(() => Assert.NotNull(page.Find("textarea[data-testid=chat-input]")), TimeSpan.FromSeconds(30));
    }

    private static IEnumerable<string> Contents(IRenderedComponent<PlaygroundPage> page) =>
        page.FindAll("[data-testid=chat-message] [data-testid=chat-content]").Select(c => c.TextContent);
}
