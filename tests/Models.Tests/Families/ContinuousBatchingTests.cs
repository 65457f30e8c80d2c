using Models.Architectures;
using Models.Generation;
using static TorchSharp.torch;

namespace Models.Tests.Families;

/// <summary>
/// The continuous-batching engine on every family: a paged pass's rows are isolated (each its own sequence, pages
/// and positions), chunked prefill gives the prompt's logits, and greedy tokens in a changing batch are a solo run's.
/// </summary>
public class ContinuousBatchingTests(TinyFamilyFixture models) : IClassFixture<TinyFamilyFixture>
{
    private const double Tolerance = 2e-3;

    public static TheoryData<string> Names => TinyFamilies.Names;

    [Theory]
    [MemberData(nameof(Names))]
    public void A_prompt_prefilled_in_chunks_beside_another_sequence_has_the_references_logits(string name)
    {
        var loaded = models[name];
        var model = loaded.Generator.Model;
        var prompt = TinyFamilies.Prompt(TinyFamilies.PromptLength(loaded.Family));
        var other = TinyFamilies.Prompt(5, seed: 3);
        var expected = loaded.Reference.Forward(prompt)[^1];
        var expectedOther = loaded.Reference.Forward(other)[^1];
        using var cache = model.CreatePagedCache(pages: 8, pageSize: 4);
        // Pages out of order and interleaved between the two sequences: slots are what the page tables say.
        int[] pages = [6, 1, 4, 0, 7];
        int[] otherPages = [3, 5];
        Forward(model, cache, [other[..4]], [new CachedSequence(otherPages, 0)]);
        float[] last = [];
        // Dynamic rope scaling follows the pass's length: such a model's prompt is prefilled whole, as the engine does.
        var size = model.SupportsChunkedPrefill ? 3 : prompt.Length;
        for (var at = 0; at < prompt.Length; at += size)
        {
            var chunk = prompt[at..Math.Min(prompt.Length, at + size)];
            if (chunk.Length == 1)
            {
                // The last token of the prompt shares a pass with the other sequence's decode step.
                var both = Forward(model, cache, [chunk, other[4..5]], [new CachedSequence(pages, at), new CachedSequence(otherPages, 4)]);
                last = both[0];
                AssertClose(expectedOther, both[1], name);
            }
            else
            {
                last = Forward(model, cache, [chunk], [new CachedSequence(pages, at)])[0];
            }
        }

        AssertClose(expected, last, name);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Sequences_packed_in_one_pass_each_have_the_references_logits(string name)
    {
        var loaded = models[name];
        var model = loaded.Generator.Model;
        if (!model.SupportsChunkedPrefill)
        {
            return; // dynamic rope: the engine groups rows by length instead (tested above)
        }

        var prompt = TinyFamilies.Prompt(TinyFamilies.PromptLength(loaded.Family));
        var other = TinyFamilies.Prompt(7, seed: 4);
        using var cache = model.CreatePagedCache(pages: 8, pageSize: 4);
        CachedSequence[] first = [new([5, 2, 7, 0, 3], 0), new([1, 6], 0)];
        var firstLogits = Packed(model, cache, [prompt[..5], other[..6]], first);
        CachedSequence[] second = [new([5, 2, 7, 0, 3], 5), new([1, 6], 6)];
        var secondLogits = Packed(model, cache, [prompt[5..], other[6..]], second);

        AssertClose(loaded.Reference.Forward(prompt[..5])[^1], firstLogits[0], name);
        AssertClose(loaded.Reference.Forward(other[..6])[^1], firstLogits[1], name);
        AssertClose(loaded.Reference.Forward(prompt)[^1], secondLogits[0], name);
        AssertClose(loaded.Reference.Forward(other)[^1], secondLogits[1], name);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Greedy_tokens_of_sequences_that_join_a_running_batch_are_those_of_each_alone(string name)
    {
        var generator = models[name].Generator;
        var options = new GenerationOptions { MaxNewTokens = 6, StopAtEndOfText = false };
        int[][] prompts = [TinyFamilies.Prompt(9, seed: 1), TinyFamilies.Prompt(4, seed: 2), TinyFamilies.Prompt(13, seed: 3)];
        var alone = prompts.Select(p => generator.Generate([p], [options], onToken: null)[0].Tokens).ToList();

        // A small step budget: the later prompts are prefilled in chunks while the first decodes.
        using var engine = generator.CreateEngine(new EngineLimits(MaxSequences: 3, MaxBatchedTokens: 4, CacheTokens: 96, PageSize: 4));
        var sequences = new List<EngineSequence> { engine.Add(prompts[0], options, null, null) };
        engine.Step();
        engine.Step();
        engine.Step();
        sequences.Add(engine.Add(prompts[1], options, null, null));
        engine.Step();
        sequences.Add(engine.Add(prompts[2], options, null, null));
        while (engine.Step())
        {
        }

        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(alone[i], sequences[i].Result!.Tokens);
        }

        Assert.Equal(0, engine.UsedCacheTokens);
    }

    [Fact]
    public void A_cancelled_sequence_frees_its_pages_for_the_next_one_at_once()
    {
        var generator = models["llama"].Generator;
        var options = new GenerationOptions { MaxNewTokens = 8, StopAtEndOfText = false };
        var prompt = TinyFamilies.Prompt(8, seed: 5);
        var alone = generator.Generate([prompt], [options], onToken: null)[0].Tokens;
        using var engine = generator.CreateEngine(new EngineLimits(MaxSequences: 2, MaxBatchedTokens: 64, CacheTokens: 16, PageSize: 4));
        Assert.False(engine.CanEverFit(prompt.Length, 9));
        Assert.True(engine.CanEverFit(prompt.Length, 8));

        using var leaving = new CancellationTokenSource();
        var tokens = new List<GeneratedToken>();
        var first = engine.Add(prompt, options, tokens.Add, null, leaving.Token);
        Assert.False(engine.CanAdmit(prompt.Length, options.MaxNewTokens)); // the cache is all the first one's
        engine.Step();
        engine.Step();
        leaving.Cancel();
        Assert.True(engine.Step() is false);
        Assert.Equal(FinishReason.Cancelled, first.Result!.FinishReason);
        Assert.Equal(2, tokens.Count);
        Assert.Equal(0, engine.UsedCacheTokens);

        // The freed pages still hold the first one's keys: the next sequence must not see them.
        var second = engine.Add(TinyFamilies.Prompt(8, seed: 5), options, null, null);
        while (engine.Step())
        {
        }

        Assert.Equal(alone, second.Result!.Tokens);
        Assert.Throws<InvalidOperationException>(() =>
        {
            engine.Add(prompt, options, null, null);
            engine.Add(prompt, options, null, null);
        });
    }

    [Fact]
    public void Failing_all_ends_every_running_sequence_with_the_error_and_leaves_the_engine_empty_and_usable()
    {
        var generator = models["llama"].Generator;
        var options = new GenerationOptions { MaxNewTokens = 4, StopAtEndOfText = false };
        var prompt = TinyFamilies.Prompt(6, seed: 3);
        var alone = generator.Generate([prompt], [options], onToken: null)[0].Tokens;
        using var engine = generator.CreateEngine(new EngineLimits(MaxSequences: 2, MaxBatchedTokens: 64, CacheTokens: 32, PageSize: 4));
        var finished = new List<GenerationResult>();
        engine.Add(prompt, options, null, finished.Add);
        engine.Add(prompt, options, null, finished.Add);
        engine.Step();

        var error = new InvalidOperationException("the step broke");
        engine.FailAll(error);
        Assert.Equal(2, finished.Count);
        Assert.All(finished, r =>
        {
            Assert.Equal(FinishReason.Failed, r.FinishReason);
            Assert.Same(error, r.Error);
        });
        Assert.Equal((0, 0), (engine.Running, engine.UsedCacheTokens));

        var next = engine.Add(prompt, options, null, null);
        while (engine.Step())
        {
        }

        Assert.Equal(alone, next.Result!.Tokens);
    }

    private static float[][] Forward(ICausalLanguageModel model, IPagedKeyValueCache cache, int[][] rows, CachedSequence[] sequences)
    {
        using var scope = NewDisposeScope();
        var ids = tensor(rows.SelectMany(r => r.Select(t => (long)t)).ToArray(), [rows.Length, rows[0].Length]);
        var logits = model.Forward(ids, cache, sequences, lastTokenOnly: true);
        return [.. Enumerable.Range(0, rows.Length).Select(r => logits[r, 0].data<float>().ToArray())];
    }

    private static float[][] Packed(ICausalLanguageModel model, IPagedKeyValueCache cache, int[][] rows, CachedSequence[] sequences)
    {
        using var scope = NewDisposeScope();
        var ids = tensor(rows.SelectMany(r => r.Select(t => (long)t)).ToArray(), [1, rows.Sum(r => r.Length)]);
        var logits = model.ForwardPacked(ids, cache, sequences, [.. rows.Select(r => r.Length)]);
        return [.. Enumerable.Range(0, rows.Length).Select(r => logits[r, 0].data<float>().ToArray())];
    }

    private static void AssertClose(float[] expected, float[] actual, string name)
    {
        var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst < Tolerance, $"{name}: largest logit difference {worst}");
    }
}
