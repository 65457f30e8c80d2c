using Models.Architectures;
using Models.Blocks;
using Models.Generation;
using TestSupport.Families;
using static TorchSharp.torch;

namespace Models.Tests.Families;

/// <summary>Each family's TorchSharp model against the plain-loop reference of Hugging Face's math.</summary>
public class FamilyForwardTests(TinyFamilyFixture models) : IClassFixture<TinyFamilyFixture>
{
    private const double Tolerance = 2e-3;

    public static TheoryData<string> Names => TinyFamilies.Names;

    [Theory]
    [MemberData(nameof(Names))]
    public void Logits_agree_with_the_reference(string name)
    {
        var loaded = models[name];
        var prompt = TinyFamilies.Prompt(TinyFamilies.PromptLength(loaded.Family));
        var expected = loaded.Reference.Forward(prompt);
        var actual = Logits(loaded.Generator.Model, prompt);

        var worst = 0.0;
        for (var t = 0; t < prompt.Length; t++)
        {
            for (var v = 0; v < expected[t].Length; v++)
            {
                worst = Math.Max(worst, Math.Abs(expected[t][v] - actual[t][v]));
            }
        }

        Assert.True(worst < Tolerance, $"{name}: largest logit difference {worst}");
        Assert.True(expected[^1].Max() - expected[^1].Min() > 1, "the logits must spread for the comparison to mean something");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Prefill_then_decode_over_the_cache_agrees_with_the_reference(string name)
    {
        // The engine's path token by token: a prefill of part of the prompt, then one token per forward pass.
        var loaded = models[name];
        var model = loaded.Generator.Model;
        var prompt = TinyFamilies.Prompt(TinyFamilies.PromptLength(loaded.Family), seed: 1);
        // Dynamic scaling rotates each pass's keys with that pass's frequencies, so a prefill of part of the prompt
        // would differ from the reference's (and Hugging Face's) prefill of all of it: that family prefills it all.
        var prefill = loaded.Family.RopeScaling?.Type == "dynamic" ? prompt.Length : prompt.Length / 2;
        var expected = loaded.Reference.GreedyGenerate(prompt, 6);
        using var cache = model.CreateCache(1, prompt.Length + 6);
        var sequence = prompt.ToList();
        float[] last;
        using (NewDisposeScope())
        {
            last = Step(model, cache, prompt[..prefill], 0);
            for (var t = prefill; t < prompt.Length; t++)
            {
                last = Step(model, cache, [sequence[t]], t);
            }
        }

        var generated = new List<int>();
        for (var step = 0; step < 6; step++)
        {
            var next = ReferenceTransformer.ArgMax(last);
            generated.Add(next);
            sequence.Add(next);
            using (NewDisposeScope())
            {
                last = Step(model, cache, [next], sequence.Count - 1);
            }
        }

        Assert.Equal(expected, generated);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Greedy_generation_through_the_engine_matches_the_reference(string name)
    {
        // A batch of three prompts of different lengths, left-padded as the engine pads them. Dynamic rope scaling
        // takes the longest sequence of the batch (as Hugging Face's batched generate does), which a single-sequence
        // reference cannot follow: that family runs its prompts one by one.
        var loaded = models[name];
        var length = TinyFamilies.PromptLength(loaded.Family);
        int[][] prompts = [TinyFamilies.Prompt(length, seed: 2), TinyFamilies.Prompt(length - 5, seed: 3), TinyFamilies.Prompt(length - 2, seed: 4)];
        var greedy = new GenerationOptions { MaxNewTokens = 8, StopAtEndOfText = false };
        var batches = loaded.Family.RopeScaling?.Type == "dynamic" ? prompts.Select(p => new[] { p }).ToArray() : [prompts];
        var actual = batches.SelectMany(batch => loaded.Generator.Generate([.. batch], [.. batch.Select(_ => greedy)], onToken: null)).ToList();

        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(loaded.Reference.GreedyGenerate(prompts[i], 8), actual[i].Tokens);
        }
    }

    [Theory]
    [InlineData("llama3", ScalarType.BFloat16)]
    [InlineData("qwen3", ScalarType.Float16)]
    [InlineData("pythia", ScalarType.Float16)]
    public async Task Half_precision_loads_agree_with_float32(string name, ScalarType dtype)
    {
        var loaded = models[name];
        using var half = await ModelFolder.LoadAsync(loaded.Folder, new ModelLoadOptions { Dtype = dtype });
        Assert.All(((nn.Module)half.Model).parameters(), p => Assert.Equal(dtype, p.dtype));
        var prompt = TinyFamilies.Prompt(12);
        var reference = Logits(loaded.Generator.Model, prompt);
        var logits = Logits(half.Model, prompt);
        for (var t = 0; t < prompt.Length; t++)
        {
            using var similarity = nn.functional.cosine_similarity(tensor(reference[t]), tensor(logits[t]), dim: 0);
            Assert.True(similarity.item<float>() > 0.99f, $"token {t}: cosine similarity {similarity.item<float>()}");
        }
    }

    [Fact]
    public void Configs_reach_the_engine()
    {
        var llama3 = models["llama3"].Generator.Model.Config;
        Assert.Equal(("llama", 512, 256, 2), (llama3.ModelType, llama3.VocabularySize, llama3.ContextLength, llama3.EndOfTextId));
        Assert.Equal([2, 3, 4], llama3.EndOfTextIds);

        // Linear and dynamic scaling stretch the context by their factor.
        Assert.Equal(32, models["llama-dynamic"].Generator.Model.Config.ContextLength);
        Assert.Equal(512, models["llama-linear-biases"].Generator.Model.Config.ContextLength);
        Assert.Equal("gpt_neox", models["pythia"].Generator.Model.Config.ModelType);
    }

    [Fact]
    public void Any_end_of_text_id_ends_a_sequence()
    {
        var generator = models["llama3"].Generator;
        var config = generator.Model.Config;
        foreach (var id in config.EndOfTextIds)
        {
            var sequence = new SequenceState([10, 11], new GenerationOptions { MaxNewTokens = 5 }, generator.Tokenizer, config);
            var logits = new float[config.VocabularySize];
            logits[id] = 1;
            sequence.Append(logits, 0, onToken: null);
            Assert.True(sequence.Done);
            Assert.Equal(FinishReason.Stop, sequence.Result().FinishReason);
        }
    }

    [Fact]
    public void A_prompt_token_outside_the_vocabulary_fails_its_sequence_by_name()
    {
        // Not libtorch's "index out of range in self" from the embedding: a tokenizer larger than the model's vocabulary.
        var result = models["qwen2"].Generator.Generate([[5, 600]], [new GenerationOptions { MaxNewTokens = 2 }], onToken: null)[0];
        Assert.Equal(FinishReason.Failed, result.FinishReason);
        Assert.Contains("600", Assert.IsType<ArgumentException>(result.Error).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cache_holds_only_the_key_value_heads()
    {
        var model = (TransformerForCausalLM)models["llama-mqa"].Generator.Model;
        using var cache = (KeyValueCache)model.CreateCache(2, 10);
        using var scope = NewDisposeScope();
        var (keys, _) = cache.Append(0, zeros(2, 1, 3, 16), zeros(2, 1, 3, 16));
        Assert.Equal([2, 1, 3, 16], keys.shape);
    }

    /// <summary>Logits [tokens][vocabulary] of one sequence from position 0, in one forward pass.</summary>
    internal static float[][] Logits(ICausalLanguageModel model, int[] tokens)
    {
        using var scope = NewDisposeScope();
        using var cache = model.CreateCache(1, tokens.Length);
        var ids = tensor(tokens.Select(t => (long)t).ToArray()).unsqueeze(0);
        var logits = model.Forward(ids, arange(0L, tokens.Length, 1L).unsqueeze(0), ones(1, tokens.Length, ScalarType.Int64), cache)[0];
        return [.. Enumerable.Range(0, tokens.Length).Select(t => logits[t].data<float>().ToArray())];
    }

    /// <summary>One forward pass over <paramref name="tokens"/> at positions from <paramref name="position"/>; the last token's logits.</summary>
    private static float[] Step(ICausalLanguageModel model, IKeyValueCache cache, int[] tokens, int position)
    {
        var ids = tensor(tokens.Select(t => (long)t).ToArray()).unsqueeze(0);
        var positions = arange((long)position, position + tokens.Length, 1L).unsqueeze(0);
        var logits = model.Forward(ids, positions, ones(1, position + tokens.Length, ScalarType.Int64), cache, lastTokenOnly: true);
        return logits[0, 0].data<float>().ToArray();
    }
}
