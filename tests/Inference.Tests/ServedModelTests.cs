using Inference.Serving;
using Microsoft.Extensions.DependencyInjection;
using Models.Generation;

namespace Inference.Tests;

/// <summary>
/// What the protocols see of the model can be asked anything at any time: before the model is loaded (here, never)
/// every member that needs it throws <see cref="ModelNotReadyException"/>, which every protocol answers with 503, so
/// no handler depends on checking readiness first; once loaded it answers, and refuses what cannot fit as a 400.
/// </summary>
public sealed class ServedModelTests
{
    [Fact]
    public async Task Before_the_model_is_loaded_every_member_that_needs_it_says_so()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-model-{Guid.NewGuid():N}");
        await using var server = await InferenceServer.StartAsync(new() { ["MODEL_PATH"] = missing, ["MODEL_NAME"] = "absent" }, waitUntilReady: false);
        var model = server.Services.GetRequiredService<IServedModel>();
        Assert.Equal(("absent", false), (model.Name, model.IsReady));
        Assert.Equal("absent", Assert.Throws<ModelNotReadyException>(() => model.Info).Name);
        Assert.Throws<ModelNotReadyException>(() => model.Encode("Hello", addSpecialTokens: true, 10, CancellationToken.None));
        Assert.Throws<ModelNotReadyException>(() => model.Decode([15496]));
        Assert.Throws<ModelNotReadyException>(() => model.Submit([15496], new GenerationOptions(), CancellationToken.None));

        var completion = await server.Client.PostAsync("/v1/completions", OpenAIClient.Json("""{"model": "absent", "prompt": [15496]}"""));
        Assert.Equal(503, (int)completion.StatusCode);
    }

    [Fact]
    public async Task Once_loaded_it_answers_and_refuses_what_cannot_fit_as_invalid_input()
    {
        await using var server = await InferenceServer.StartAsync([]);
        var model = server.Services.GetRequiredService<IServedModel>();
        var info = model.Info;
        Assert.Equal((512, 50400), (info.ContextLength, info.VocabularySize));
        var hello = model.Encode("Hello", addSpecialTokens: true, 10, CancellationToken.None);
        Assert.Equal("Hello", model.Decode(hello));
        var chat = model.RenderChat([new ChatTurn("user", "Hi!")]);
        Assert.Equal("User: Hi!\nAssistant:", chat.Text);
        Assert.Equal(["\nUser:"], chat.StopSequences);
        Assert.True(chat.AddSpecialTokens); // plain text: tokenized as a completion's prompt is

        Assert.Throws<InvalidRequestException>(() => model.Submit([], new GenerationOptions(), CancellationToken.None));
        var overflow = Assert.Throws<InvalidRequestException>(() => model.Submit(hello, new GenerationOptions { MaxNewTokens = info.ContextLength }, CancellationToken.None));
        Assert.Equal("context_length_exceeded", overflow.Code);
        var request = model.Submit(hello, new GenerationOptions { MaxNewTokens = 2, StopAtEndOfText = false }, CancellationToken.None);
        var result = await request.Completion.Task;
        Assert.Equal((FinishReason.Length, 2), (result.FinishReason, result.Tokens.Count));
    }
}
