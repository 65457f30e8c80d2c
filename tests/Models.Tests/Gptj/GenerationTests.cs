using Models.Generation;

namespace Models.Tests.Gptj;

/// <summary>The generation engine on the tiny model: batching, sampling, stops, streaming, limits.</summary>
public class GenerationTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    private static readonly GenerationOptions Greedy = new() { MaxNewTokens = 10, StopAtEndOfText = false };

    [Fact]
    public void Batched_generation_equals_one_by_one()
    {
        string[] prompts = ["Once upon a time, there was", "Hello", "The quick brown fox jumps over the lazy"];
        var batched = tiny.Generator.Generate(prompts, Greedy);
        for (var i = 0; i < prompts.Length; i++)
        {
            var alone = tiny.Generator.Generate([prompts[i]], Greedy)[0];
            Assert.Equal(alone.Tokens, batched[i].Tokens);
            Assert.Equal(alone.Text, batched[i].Text);
        }
    }

    [Fact]
    public void Seeded_sampling_is_reproducible_and_the_seed_matters()
    {
        var options = GenerationOptions.SeedDefaults with { Seed = 7, StopAtEndOfText = false, MaxNewTokens = 20 };
        var first = tiny.Generator.Generate(["Once upon a time"], options)[0];
        var again = tiny.Generator.Generate(["Once upon a time"], options)[0];
        var batchedWithOthers = tiny.Generator.Generate(["Once upon a time", "Something else entirely"], options)[0];
        Assert.Equal(first.Tokens, again.Tokens);
        Assert.Equal(first.Tokens, batchedWithOthers.Tokens);

        var seeds = Enumerable.Range(0, 5).Select(seed => tiny.Generator.Generate(["Once upon a time"], options with { Seed = seed })[0].Text).Distinct();
        Assert.True(seeds.Count() > 1);
    }

    [Fact]
    public void Max_new_tokens_ends_with_length()
    {
        var result = tiny.Generator.Generate(["Hello"], Greedy with { MaxNewTokens = 4 })[0];
        Assert.Equal(4, result.Tokens.Count);
        Assert.Equal(FinishReason.Length, result.FinishReason);
        Assert.Equal(tiny.Generator.Tokenizer.Decode(result.Tokens), result.Text);
    }

    [Fact]
    public void A_stop_sequence_ends_generation_and_is_cut_from_the_text()
    {
        var free = tiny.Generator.Generate(["Hello"], Greedy with { MaxNewTokens = 12 })[0];
        var stop = free.Text.Substring(free.Text.Length / 2, Math.Min(3, free.Text.Length - (free.Text.Length / 2)));
        var stopped = tiny.Generator.Generate(["Hello"], Greedy with { MaxNewTokens = 12, StopSequences = [stop] })[0];

        Assert.Equal(FinishReason.Stop, stopped.FinishReason);
        Assert.Equal(free.Text[..free.Text.IndexOf(stop, StringComparison.Ordinal)], stopped.Text);
    }

    [Fact]
    public void End_of_text_stops_generation_without_adding_text()
    {
        var config = tiny.Generator.Model.Config;
        var sequence = new SequenceState([15496], Greedy with { StopAtEndOfText = true }, tiny.Generator.Tokenizer, config);
        var logits = new float[config.VocabularySize];
        logits[995] = 1; // " world"
        var tokens = new List<GeneratedToken>();
        sequence.Append(logits, 0, (_, t) => tokens.Add(t));
        logits[config.EndOfTextId!.Value] = 2;
        sequence.Append(logits, 0, (_, t) => tokens.Add(t));

        Assert.True(sequence.Done);
        var result = sequence.Result();
        Assert.Equal(FinishReason.Stop, result.FinishReason);
        Assert.Equal([995, config.EndOfTextId!.Value], result.Tokens);
        Assert.Equal(" world", result.Text);
        Assert.Equal(FinishReason.Stop, tokens[^1].FinishReason);
    }

    [Fact]
    public async Task Streaming_yields_the_same_text_token_by_token_and_can_be_cancelled()
    {
        var whole = tiny.Generator.Generate(["Once upon a time"], Greedy)[0];
        var pieces = new List<GeneratedToken>();
        await foreach (var token in tiny.Generator.StreamAsync("Once upon a time", Greedy))
        {
            pieces.Add(token);
        }

        Assert.Equal(whole.Tokens, pieces.Select(p => p.Id));
        Assert.Equal(whole.Text, string.Concat(pieces.Select(p => p.Text)));
        Assert.Equal(FinishReason.Length, pieces[^1].FinishReason);

        using var cancel = new CancellationTokenSource();
        var received = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var token in tiny.Generator.StreamAsync("Once upon a time", Greedy with { MaxNewTokens = 200 }, cancel.Token))
            {
                if (++received == 3)
                {
                    await cancel.CancelAsync();
                }
            }
        });
        Assert.True(received < 200);
    }

    [Fact]
    public void A_prompt_beyond_the_context_window_is_refused()
    {
        var context = tiny.Generator.Model.Config.ContextLength;
        var e = Assert.Throws<ArgumentException>(() => tiny.Generator.Generate(["Hello"], Greedy with { MaxNewTokens = context }));
        Assert.Contains("context", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disposing_during_a_batch_waits_for_it_and_later_calls_are_refused()
    {
        var generator = await ModelFolder.LoadAsync(tiny.Folder);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = Greedy with { MaxNewTokens = 200 };
        var produced = 0;
        var running = Task.Factory.StartNew(
            () => generator.Generate([[50256]], [options], (_, _) =>
            {
                Interlocked.Increment(ref produced);
                started.TrySetResult();
            }),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        await started.Task;

        generator.Dispose(); // before the fix this freed the model under the running forward pass: a native crash

        // Every token was produced before Dispose returned. (The task itself completes a moment after the batch
        // releases the model, so its IsCompleted could still read false here on a busy machine.)
        Assert.Equal(200, Volatile.Read(ref produced));
        Assert.Equal(200, (await running)[0].Tokens.Count);
        Assert.Throws<ObjectDisposedException>(() => generator.Generate(["Hello"], Greedy));
    }
}
