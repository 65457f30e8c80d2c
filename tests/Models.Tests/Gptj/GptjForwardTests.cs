using Models.Gptj;
using static TorchSharp.torch;

namespace Models.Tests.Gptj;

/// <summary>The TorchSharp GPT-J against the plain-loop reference on the tiny model's weights.</summary>
public class GptjForwardTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    private static readonly int[] Prompt = [7454, 2402, 257, 640, 11, 612, 373]; // "Once upon a time, there was"

    [Fact]
    public void Logits_agree_with_the_reference_implementation()
    {
        var expected = tiny.Reference.Forward(Prompt);
        var actual = FullForward(Prompt);

        var worst = 0.0;
        for (var t = 0; t < Prompt.Length; t++)
        {
            for (var v = 0; v < expected[t].Length; v++)
            {
                worst = Math.Max(worst, Math.Abs(expected[t][v] - actual[t, v]));
            }
        }

        Assert.True(worst < 1e-3, $"largest logit difference {worst}");
    }

    [Fact]
    public void The_cached_path_equals_full_recomputation()
    {
        var model = (GptjForCausalLM)tiny.Generator.Model;
        var full = FullForward(Prompt);
        using var cache = model.CreateCache(1, Prompt.Length);
        for (var t = 0; t < Prompt.Length; t++)
        {
            using var scope = NewDisposeScope();
            var logits = model.Forward(tensor(new long[,] { { Prompt[t] } }), tensor(new long[,] { { t } }), ones(1, t + 1, ScalarType.Int64), cache);
            var step = logits[0, 0].data<float>().ToArray();
            for (var v = 0; v < step.Length; v++)
            {
                Assert.True(Math.Abs(step[v] - full[t, v]) < 1e-4, $"token {t}, logit {v}: {step[v]} vs {full[t, v]}");
            }
        }
    }

    [Fact]
    public void Greedy_continuation_matches_the_reference()
    {
        var expected = tiny.Reference.GreedyGenerate(Prompt, 12);
        var actual = tiny.Generator.Generate([Prompt], [new Models.Generation.GenerationOptions { MaxNewTokens = 12, StopAtEndOfText = false }], onToken: null);
        Assert.Equal(expected, actual[0].Tokens);
    }

    private float[,] FullForward(int[] tokens)
    {
        var model = (GptjForCausalLM)tiny.Generator.Model;
        using var scope = NewDisposeScope();
        using var cache = model.CreateCache(1, tokens.Length);
        var ids = tensor(tokens.Select(t => (long)t).ToArray()).unsqueeze(0);
        var positions = arange(tokens.Length, ScalarType.Int64).unsqueeze(0);
        var logits = model.Forward(ids, positions, ones(1, tokens.Length, ScalarType.Int64), cache)[0];
        var flat = logits.data<float>().ToArray();
        var result = new float[tokens.Length, flat.Length / tokens.Length];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(float));
        return result;
    }
}
