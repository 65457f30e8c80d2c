namespace Models.Tests.Reference;

public sealed class ReferenceGptjTests
{
    private static readonly int[] Prompt = [1, 2, 3];

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Forward_IsCausal(int rotaryDim)
    {
        var config = TinyConfig(rotaryDim, nLayer: 2);
        var model = new ReferenceGptj(config, RandomWeights(config, seed: 1));
        int[] a = [5, 17, 3, 42, 8, 11];
        int[] b = [5, 17, 3, 0, 49, 2];

        var logitsA = model.Forward(a);
        var logitsB = model.Forward(b);

        Assert.Equal(a.Length, logitsA.Length);
        Assert.All(logitsA, row => Assert.Equal(50, row.Length));
        for (var t = 0; t < 3; t++)
        {
            Assert.Equal(logitsA[t], logitsB[t]);
        }

        Assert.True(MaxAbsDiff(logitsA[3], logitsB[3]) > 1e-3, "changing token 3 must change its own logits");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Rotary_IsTheOnlySourceOfPosition(int rotaryDim)
    {
        // One layer: without position information the last position's attention is a set operation over its
        // prefix, so swapping two earlier tokens could not change its logits.
        var config = TinyConfig(rotaryDim, nLayer: 1);
        var weights = RandomWeights(config, seed: 2);
        int[] order = [7, 31, 12, 4];
        int[] swapped = [31, 7, 12, 4];

        var model = new ReferenceGptj(config, weights);
        Assert.True(MaxAbsDiff(model.Forward(order)[^1], model.Forward(swapped)[^1]) > 1e-3, "rotary must make order matter");

        // Zeroing the q_proj rows feeding each head's rotary dims leaves every other weight unchanged and removes
        // the only position signal, so the swap must no longer matter.
        var headDim = config.NEmbd / config.NHead;
        var q = (float[])weights["transformer.h.0.attn.q_proj.weight"].Clone();
        for (var head = 0; head < config.NHead; head++)
        {
            Array.Clear(q, head * headDim * config.NEmbd, rotaryDim * config.NEmbd);
        }

        var noRotary = new Dictionary<string, float[]>(weights) { ["transformer.h.0.attn.q_proj.weight"] = q };
        var positionless = new ReferenceGptj(config, noRotary);
        Assert.True(MaxAbsDiff(positionless.Forward(order)[^1], positionless.Forward(swapped)[^1]) < 1e-5);
    }

    [Fact]
    public void ApplyRotary_RotatesInterleavedPairsAndPassesTheRestThrough()
    {
        // inv_freq = 1 / 10000^(2j / rotary_dim): with rotary_dim 4 that is 1 and 0.01.
        const int Position = 3;
        float[] v = [9, 9, 1, 2, 3, 4, 9, 9];
        ReferenceGptj.ApplyRotary(v, offset: 2, rotaryDim: 4, Position);
        double[] expected =
        [
            9, 9,
            (1 * Math.Cos(3)) - (2 * Math.Sin(3)), (2 * Math.Cos(3)) + (1 * Math.Sin(3)),
            (3 * Math.Cos(0.03)) - (4 * Math.Sin(0.03)), (4 * Math.Cos(0.03)) + (3 * Math.Sin(0.03)),
            9, 9,
        ];
        AssertClose(expected, v, 1e-6);

        float[] partial = [1, 2, 3, 4];
        ReferenceGptj.ApplyRotary(partial, offset: 0, rotaryDim: 2, Position);
        AssertClose([(1 * Math.Cos(3)) - (2 * Math.Sin(3)), (2 * Math.Cos(3)) + (1 * Math.Sin(3)), 3, 4], partial, 1e-6);

        float[] atZero = [1, 2, 3, 4];
        ReferenceGptj.ApplyRotary(atZero, offset: 0, rotaryDim: 4, position: 0);
        Assert.Equal(new[] { 1f, 2f, 3f, 4f }, atZero);
    }

    [Fact]
    public void GeluNew_MatchesKnownValues()
    {
        Assert.Equal(0f, ReferenceGptj.GeluNew(0f));
        Assert.Equal(0.8411919906082768, ReferenceGptj.GeluNew(1f), 6);
        Assert.Equal(-0.1588080093917232, ReferenceGptj.GeluNew(-1f), 6);
    }

    [Fact]
    public void Forward_MatchesHandComputation()
    {
        // n_embd 2, one head of dim 2 fully rotated; eps is large so the 2-wide LayerNorms keep magnitudes.
        var config = new ReferenceConfig(VocabSize: 3, NEmbd: 2, NLayer: 1, NHead: 1, RotaryDim: 2, LayerNormEpsilon: 0.5f, Activation: "gelu_new");
        // fc_in rows [1, 0.5] and [0, 1]; its other six rows and biases are zero, and gelu_new(0) = 0.
        float[] fcIn = [1, 0.5f, 0, 1, .. new float[12]];
        float[] fcInBias = [0.1f, -0.2f, .. new float[6]];
        // fc_out rows [1, 0, ...] and [0.5, 1, 0, ...].
        float[] fcOut = [1, .. new float[7], 0.5f, 1, .. new float[6]];
        var weights = new Dictionary<string, float[]>
        {
            ["transformer.wte.weight"] = [1, 0, 0, 1, 2, -1],
            ["transformer.h.0.ln_1.weight"] = [2, 1],
            ["transformer.h.0.ln_1.bias"] = [0.5f, 0],
            ["transformer.h.0.attn.q_proj.weight"] = [1, 0, 0, 1],
            ["transformer.h.0.attn.k_proj.weight"] = [0.5f, 0, 0, 1],
            ["transformer.h.0.attn.v_proj.weight"] = [1, 0, 0, 2],
            ["transformer.h.0.attn.out_proj.weight"] = [1, 0.5f, 0, 1],
            ["transformer.h.0.mlp.fc_in.weight"] = fcIn,
            ["transformer.h.0.mlp.fc_in.bias"] = fcInBias,
            ["transformer.h.0.mlp.fc_out.weight"] = fcOut,
            ["transformer.h.0.mlp.fc_out.bias"] = [0, 0.3f],
            ["transformer.ln_f.weight"] = [1, 2],
            ["transformer.ln_f.bias"] = [0.25f, 0],
            ["lm_head.weight"] = [1, 0, 0, 1, 1, 1],
            ["lm_head.bias"] = [0, 0, 0.5f],
        };

        var logits = new ReferenceGptj(config, weights).Forward([0, 1]);

        // Position 0, token [1, 0]: ln_1 gives x; attention over itself alone returns out_proj(v_proj(x)).
        var (x0, x1) = LayerNorm2(1, 0, 2, 1, 0.5, 0);
        var (attn0, attn1) = (x0 + (0.5 * 2 * x1), 2 * x1);
        var (mlp0, mlp1) = Mlp(x0, x1);
        var (f0, f1) = LayerNorm2(attn0 + mlp0 + 1, attn1 + mlp1 + 0, 1, 2, 0.25, 0);
        AssertClose([f0, f1, f0 + f1 + 0.5], logits[0], 1e-5);

        // Position 1, token [0, 1]: q and k turn by angle 1 (inv_freq[0] = 1), the key at position 0 by 0.
        double[] Position1(double angle)
        {
            var (y0, y1) = LayerNorm2(0, 1, 2, 1, 0.5, 0);
            var (q0, q1) = Rotate(y0, y1, angle);
            var (k10, k11) = Rotate(0.5 * y0, y1, angle);
            var s0 = ((q0 * 0.5 * x0) + (q1 * x1)) / Math.Sqrt(2);
            var s1 = ((q0 * k10) + (q1 * k11)) / Math.Sqrt(2);
            var p0 = Math.Exp(s0) / (Math.Exp(s0) + Math.Exp(s1));
            var p1 = 1 - p0;
            var (c0, c1) = ((p0 * x0) + (p1 * y0), (p0 * 2 * x1) + (p1 * 2 * y1));
            var (m0, m1) = Mlp(y0, y1);
            var (g0, g1) = LayerNorm2(c0 + (0.5 * c1) + m0 + 0, c1 + m1 + 1, 1, 2, 0.25, 0);
            return [g0, g1, g0 + g1 + 0.5];
        }

        AssertClose(Position1(1), logits[1], 1e-5);
        // The case is sensitive to the rotation's direction.
        Assert.True(MaxAbsDiff(Position1(-1), logits[1]) > 1e-3);

        static (double, double) Mlp(double a, double b)
        {
            var g0 = Gelu((a + (0.5 * b)) + 0.1);
            var g1 = Gelu(b - 0.2);
            return (g0, (0.5 * g0) + g1 + 0.3);
        }

        static (double, double) Rotate(double a, double b, double angle) =>
            ((a * Math.Cos(angle)) - (b * Math.Sin(angle)), (b * Math.Cos(angle)) + (a * Math.Sin(angle)));

        // Two-element LayerNorm: mean (a+b)/2, variance ((a-b)/2)², eps 0.5.
        static (double, double) LayerNorm2(double a, double b, double w0, double w1, double b0, double b1)
        {
            var d = (a - b) / 2;
            var n = d / Math.Sqrt((d * d) + 0.5);
            return ((n * w0) + b0, (-n * w1) + b1);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void GreedyGenerate_IsStepwiseArgMaxOfForward(int rotaryDim)
    {
        var config = TinyConfig(rotaryDim, nLayer: 2);
        var model = new ReferenceGptj(config, RandomWeights(config, seed: 3));

        var generated = model.GreedyGenerate(Prompt, 6);

        Assert.Equal(6, generated.Count);
        var sequence = Prompt.ToList();
        foreach (var token in generated)
        {
            var last = model.Forward(sequence)[^1];
            var best = Enumerable.Range(0, last.Length).MaxBy(i => last[i]);
            Assert.Equal(best, token);
            sequence.Add(token);
        }

        Assert.Empty(model.GreedyGenerate(Prompt, 0));
    }

    [Fact]
    public void Constructor_RejectsMissingOrMisshapenWeights()
    {
        var config = TinyConfig(4, nLayer: 1);
        var weights = RandomWeights(config, seed: 4);

        var missing = new Dictionary<string, float[]>(weights);
        missing.Remove("transformer.h.0.mlp.fc_out.bias");
        Assert.Throws<ArgumentException>(() => new ReferenceGptj(config, missing));

        var misshapen = new Dictionary<string, float[]>(weights) { ["lm_head.bias"] = new float[49] };
        Assert.Throws<ArgumentException>(() => new ReferenceGptj(config, misshapen));
    }

    private static ReferenceConfig TinyConfig(int rotaryDim, int nLayer) =>
        new(VocabSize: 50, NEmbd: 16, NLayer: nLayer, NHead: 4, RotaryDim: rotaryDim, LayerNormEpsilon: 1e-5f, Activation: "gelu_new");

    private static Dictionary<string, float[]> RandomWeights(ReferenceConfig config, int seed)
    {
        var random = new Random(seed);
        float[] Uniform(int length, double scale, double center = 0) =>
            Enumerable.Range(0, length).Select(_ => (float)(center + (scale * ((2 * random.NextDouble()) - 1)))).ToArray();

        var e = config.NEmbd;
        var weights = new Dictionary<string, float[]>
        {
            ["transformer.wte.weight"] = Uniform(config.VocabSize * e, 1),
        };
        for (var i = 0; i < config.NLayer; i++)
        {
            var p = $"transformer.h.{i}.";
            weights[p + "ln_1.weight"] = Uniform(e, 0.2, center: 1);
            weights[p + "ln_1.bias"] = Uniform(e, 0.2);
            weights[p + "attn.q_proj.weight"] = Uniform(e * e, 0.5);
            weights[p + "attn.k_proj.weight"] = Uniform(e * e, 0.5);
            weights[p + "attn.v_proj.weight"] = Uniform(e * e, 0.5);
            weights[p + "attn.out_proj.weight"] = Uniform(e * e, 0.5);
            weights[p + "mlp.fc_in.weight"] = Uniform(4 * e * e, 0.5);
            weights[p + "mlp.fc_in.bias"] = Uniform(4 * e, 0.2);
            weights[p + "mlp.fc_out.weight"] = Uniform(4 * e * e, 0.25);
            weights[p + "mlp.fc_out.bias"] = Uniform(e, 0.2);
        }

        weights["transformer.ln_f.weight"] = Uniform(e, 0.2, center: 1);
        weights["transformer.ln_f.bias"] = Uniform(e, 0.2);
        weights["lm_head.weight"] = Uniform(config.VocabSize * e, 0.5);
        weights["lm_head.bias"] = Uniform(config.VocabSize, 0.2);
        return weights;
    }

    private static double MaxAbsDiff(double[] expected, float[] actual) =>
        Enumerable.Range(0, actual.Length).Max(i => Math.Abs(expected[i] - actual[i]));

    private static double MaxAbsDiff(float[] expected, float[] actual) =>
        Enumerable.Range(0, actual.Length).Max(i => Math.Abs((double)expected[i] - actual[i]));

    private static void AssertClose(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        var diff = MaxAbsDiff(expected, actual);
        Assert.True(diff <= tolerance, $"max |diff| {diff} > {tolerance}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
    }

    /// <summary>gelu_new written out independently of the class under test.</summary>
    private static double Gelu(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + (0.044715 * x * x * x))));
}
