using AdminConsole.Components.Pages;
using AdminConsole.Services.Inference;
using AdminConsole.Tests.Fakes;
using Bunit;
using Microsoft.Extensions.DependencyInjection;

namespace AdminConsole.Tests.Components;

public sealed class PlaygroundPageTests
{
    [Fact]
    public async Task Streamed_text_appears_piece_by_piece_with_its_figures()
    {
        await using var context = BunitSetup.Create();
        var client = new FakeInferenceClient("gptj", " fast", " and", " light") { Gate = new TaskCompletionSource() };
        context.Services.AddSingleton<IInferenceClients>(new FakeInferenceClients(client));
        var page = context.Render<PlaygroundPage>();

        page.Find("textarea[data-testid=prompt]").Input("Tensorizer is");
        page.Find("[data-testid=send]").Click();

        // Mid-stream: the first piece is shown while the rest is still coming.
        page.WaitForAssertion(() => Assert.EndsWith("Tensorizer is fast", page.Find("[data-testid=prompt-output]").TextContent, StringComparison.Ordinal));
        Assert.False(page.Find("[data-testid=stop]").HasAttribute("disabled"));
        client.Gate.SetResult();

        page.WaitForAssertion(() =>
        {
            Assert.EndsWith("Tensorizer is fast and light", page.Find("[data-testid=prompt-output]").TextContent, StringComparison.Ordinal);
            Assert.Contains("Tokens: 3", page.Find("[data-testid=prompt-stats]").TextContent, StringComparison.Ordinal);
        });
        Assert.NotEqual("—", page.Find("[data-testid=tokens-per-second]").TextContent);
        var (prompt, settings, stream) = Assert.Single(client.Completions);
        Assert.Equal("Tensorizer is", prompt);
        Assert.True(stream);
        Assert.Equal(32, settings.MaxTokens);
    }

    [Fact]
    public async Task A_service_error_is_shown_as_the_service_said_it()
    {
        await using var context = BunitSetup.Create();
        var client = new FakeInferenceClient("gptj") { FailWith = "gptj answered 503 Service Unavailable: Model with name gptj is not ready." };
        context.Services.AddSingleton<IInferenceClients>(new FakeInferenceClients(client));
        var page = context.Render<PlaygroundPage>();

        page.Find("[data-testid=send]").Click();

        page.WaitForAssertion(() => Assert.Contains("Model with name gptj is not ready.", page.Find("[data-testid=prompt-error]").TextContent, StringComparison.Ordinal));
        Assert.False(page.Find("[data-testid=send]").HasAttribute("disabled"));
    }
}
