using AdminConsole.Services.Inference;
using Microsoft.AspNetCore.Builder;

namespace AdminConsole.Tests.Services;

/// <summary>The client against the real inference service on the tiny GPT-J: the status shape, V1 predict, OpenAI completions.</summary>
public sealed class RealInferenceTests : IAsyncLifetime
{
    private readonly int _port = EndToEnd.Servers.FreePort();
    private WebApplication? _inference;

    public async Task InitializeAsync() => _inference = await EndToEnd.Servers.StartInferenceAsync(_port);

    public async Task DisposeAsync()
    {
        if (_inference is not null)
        {
            await _inference.StopAsync();
            await _inference.DisposeAsync();
        }
    }

    [Fact]
    public async Task Reads_the_status_then_predicts_and_completes_with_the_same_seed_alike()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}/") };
        // A status deadline that only bounds a hang: the first requests of a fresh process wait on its start (JIT,
        // libtorch, the load beside them on two cores), longer than the console's 2 s (InferenceClientTests test that).
        var client = new InferenceClient("gptj", http, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        var status = await client.GetStatusAsync(CancellationToken.None);
        for (var deadline = DateTime.UtcNow.AddMinutes(1); status.IsLoading && DateTime.UtcNow < deadline; status = await client.GetStatusAsync(CancellationToken.None))
        {
            await Task.Delay(100);
        }

        Assert.Equal(LoadPhase.Ready, status.Phase);
        Assert.True(status.TotalBytes > 0 && status.BytesRead == status.TotalBytes);
        Assert.EndsWith("model.tensors", status.Location, StringComparison.Ordinal);
        var model = await client.GetModelAsync(CancellationToken.None);
        Assert.Equal("gptj", model);

        var greedy = new GenerationSettings { MaxTokens = 8, Temperature = 0 };
        var predicted = await client.PredictAsync(model, "Hello", greedy, CancellationToken.None);
        var whole = Assert.Single(await Drain(client.CompleteAsync(model, "Hello", greedy, stream: false, CancellationToken.None)));
        var streamed = await Drain(client.CompleteAsync(model, "Hello", greedy, stream: true, CancellationToken.None));

        Assert.NotEmpty(predicted);
        Assert.Equal(predicted, whole.Text);
        Assert.Equal(8, whole.CompletionTokens);
        Assert.Equal(predicted, string.Concat(streamed.Select(c => c.Text)));
        Assert.Equal(8, streamed[^1].CompletionTokens);
        Assert.True(streamed.Count(c => c.Text.Length > 0) > 1, "the text came in one piece");
    }

    private static async Task<List<CompletionChunk>> Drain(IAsyncEnumerable<CompletionChunk> chunks)
    {
        var list = new List<CompletionChunk>();
        await foreach (var chunk in chunks)
        {
            list.Add(chunk);
        }

        return list;
    }
}
