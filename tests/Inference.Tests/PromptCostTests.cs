using System.Text;
using Inference.Protocols;
using Inference.Serving;
using Microsoft.Extensions.DependencyInjection;
using static Inference.Tests.OpenAIClient;

namespace Inference.Tests;

/// <summary>
/// A prompt's tokenizing costs at most what its context allows: a prompt that cannot fit gets each protocol's 400
/// without being tokenized whole, and a request that is cancelled stops tokenizing.
/// </summary>
public sealed class PromptCostTests(InferenceServer server) : IClassFixture<InferenceServer>
{
    // 1 MiB, within the 4 MiB body limit: the old tokenizer spent 96 s of CPU on this one word.
    private static readonly string HugeWord = new('a', 1 << 20);

    // 40 KB: within the tiny model's byte bound (512 tokens × 128 bytes), refused by the token count instead.
    private static readonly string LongWord = new('a', 40_000);

    public static TheoryData<string> Words => [nameof(HugeWord), nameof(LongWord)];

    [Theory]
    [MemberData(nameof(Words))]
    public async Task A_prompt_too_long_for_the_context_is_a_400_on_every_protocol(string which)
    {
        var word = which == nameof(HugeWord) ? HugeWord : LongWord;

        // A minute is far beyond what a refusal takes, and far below what tokenizing the old way took.
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var v1 = await server.Client.PostAsync("/v1/models/gptj:predict", OpenAIClient.Json($$"""{"instances": ["{{word}}"]}"""), deadline.Token);
        Assert.Equal(400, (int)v1.StatusCode);
        Assert.Contains("maximum context length", (await InferenceServer.JsonAsync(v1)).GetProperty("error").GetString(), StringComparison.Ordinal);

        var v2Body = $$"""{"inputs": [{"name": "text_input", "shape": [1], "datatype": "BYTES", "data": ["{{word}}"]}]}""";
        var v2 = await server.Client.PostAsync("/v2/models/gptj/infer", OpenAIClient.Json(v2Body), deadline.Token);
        Assert.Equal(400, (int)v2.StatusCode);

        foreach (var (path, body, param) in new[]
        {
            ("/openai/v1/completions", $$"""{"model": "gptj", "prompt": "{{word}}", "max_tokens": 5}""", "prompt"),
            ("/openai/v1/completions", $$"""{"model": "gptj", "prompt": ["hi", "{{word}}"]}""", "prompt"),
            ("/openai/v1/chat/completions", $$"""{"model": "gptj", "messages": [{"role": "user", "content": "{{word}}"}]}""", "messages"),
        })
        {
            var (status, json) = await PostAsync(server, path, body);
            Assert.Equal(400, status);
            Assert.Equal("context_length_exceeded", json.GetProperty("error").GetProperty("code").GetString());
            Assert.Equal(param, json.GetProperty("error").GetProperty("param").GetString());
        }
    }

    [Fact]
    public void A_prompt_over_the_byte_bound_is_refused_before_any_tokenizing()
    {
        // Tokenizing looks at the request's token before each word: a 400 rather than a cancellation proves it never began.
        var model = server.Services.GetRequiredService<IServedModel>();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<InvalidRequestException>(() => PromptTokens.ForKServe(model, HugeWord, cancelled.Token));
        var openAI = Assert.Throws<InvalidRequestException>(() => PromptTokens.ForOpenAI(model, HugeWord, "prompt", cancelled.Token));
        Assert.Equal("context_length_exceeded", openAI.Code);
    }

    [Fact]
    public void A_cancelled_request_stops_tokenizing()
    {
        var model = server.Services.GetRequiredService<IServedModel>();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var fits = new StringBuilder().Insert(0, "word ", 50).ToString();
        Assert.Throws<OperationCanceledException>(() => PromptTokens.ForKServe(model, fits, cancelled.Token));
        Assert.Throws<OperationCanceledException>(() => PromptTokens.ForOpenAI(model, fits, "prompt", cancelled.Token));
        Assert.Equal(model.Encode(fits, addSpecialTokens: true, int.MaxValue, CancellationToken.None), PromptTokens.ForKServe(model, fits, CancellationToken.None));
    }
}
