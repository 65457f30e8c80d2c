using System.Text.Json;
using Models.Blocks;
using TestSupport.Families;
using static TorchSharp.torch;

namespace Models.Tests.Families;

/// <summary>Rotary frequencies and rotations against values worked out by hand.</summary>
public class RopeTests
{
    [Fact]
    public void Default_and_linear_frequencies()
    {
        // 1 / 10000^(2j / 4) = 1 and 0.01; linear scaling divides by the factor.
        AssertClose([1, 0.01], new RopeParameters(4, 10000, null, 2048).InverseFrequencies());
        AssertClose([0.5, 0.005], new RopeParameters(4, 10000, new RopeScaling("linear", 2), 2048).InverseFrequencies());
    }

    [Fact]
    public void Llama3_keeps_high_frequencies_divides_low_ones_and_blends_between()
    {
        // head_dim 16, theta 500000, original context 64: wavelengths 2π·500000^(2j/16) are 6.3 (< 64/4 = 16: kept),
        // 32.6 (between 16 and 64: blended), 167 and up (> 64: divided by the factor 8).
        var scaling = Scaling("""{"rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 64}}""")!;
        var frequencies = new RopeParameters(16, 500000, scaling, 256).InverseFrequencies();
        var plain = new RopeParameters(16, 500000, null, 256).InverseFrequencies();
        Assert.Equal(plain[0], frequencies[0]);
        var smooth = ((64 / (2 * Math.PI / plain[1])) - 1) / (4 - 1);
        Assert.Equal(((1 - smooth) * plain[1] / 8) + (smooth * plain[1]), frequencies[1], 1e-7);
        for (var j = 2; j < 8; j++)
        {
            Assert.Equal(plain[j] / 8, frequencies[j], 1e-12);
        }
    }

    [Fact]
    public void Dynamic_scaling_starts_past_the_trained_context()
    {
        var rope = new RopeParameters(16, 10000, new RopeScaling("dynamic", 2), 16);
        Assert.True(rope.DependsOnLength);
        AssertClose(new RopeParameters(16, 10000, null, 16).InverseFrequencies(), rope.InverseFrequencies(16));
        // Length 32: base 10000 · (2·32/16 − 1)^(16/14).
        var theta = 10000 * Math.Pow(3, 16.0 / 14);
        AssertClose(new RopeParameters(16, theta, null, 16).InverseFrequencies(), rope.InverseFrequencies(32));
    }

    [Fact]
    public void The_product_and_the_reference_compute_the_same_frequencies()
    {
        foreach (var family in TinyFamilies.All.Where(f => f.RopeScaling is not null))
        {
            using var json = JsonDocument.Parse(family.ConfigJson().ToJsonString());
            var rope = new RopeParameters(family.RotaryDim, family.RopeTheta, RopeScaling.FromJson(json.RootElement), family.MaxPositionEmbeddings);
            foreach (var length in new[] { 8, 16, 40 })
            {
                AssertClose([.. ReferenceTransformer.InverseFrequencies(family, length).Select(f => (double)f)], rope.InverseFrequencies(length), 1e-7);
            }
        }
    }

    [Fact]
    public void Rotate_half_turns_x_j_with_x_j_plus_half_and_passes_the_rest()
    {
        // rotary_dim 4 of head_dim 6 at position 3: pairs (0, 2) by angle 3·1 and (1, 3) by 3·0.01; dims 4, 5 pass.
        var rotary = new RotaryEmbedding(new RopeParameters(4, 10000, null, 2048), RotaryStyle.Halves);
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1, 2, 3, 4, 5, 6 }).reshape(1, 1, 1, 6);
        var rotated = rotary.Apply(x, rotary.Angles(tensor(new long[] { 3 }).reshape(1, 1))).data<float>().ToArray();
        double[] expected =
        [
            (1 * Math.Cos(3)) - (3 * Math.Sin(3)), (2 * Math.Cos(0.03)) - (4 * Math.Sin(0.03)),
            (3 * Math.Cos(3)) + (1 * Math.Sin(3)), (4 * Math.Cos(0.03)) + (2 * Math.Sin(0.03)),
            5, 6,
        ];
        AssertClose(expected, [.. rotated.Select(v => (double)v)], 1e-6);
    }

    [Theory]
    [InlineData("""{"rope_scaling": {"type": "linear", "factor": 4.0}}""", "linear", 4096 * 4)]
    [InlineData("""{"rope_scaling": {"rope_type": "dynamic", "factor": 2.0}}""", "dynamic", 4096 * 2)]
    [InlineData("""{"rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}""", "llama3", 4096)]
    [InlineData("""{"rope_parameters": {"rope_type": "linear", "factor": 2.0, "rope_theta": 10000.0}}""", "linear", 4096 * 2)]
    public void Rope_scaling_is_read_and_stretches_the_context_as_vLLM_does(string json, string type, int context)
    {
        var scaling = Scaling(json)!;
        Assert.Equal(type, scaling.Type);
        Assert.Equal(context, scaling.ContextLength(4096));
    }

    [Fact]
    public void The_reference_erf_is_erf()
    {
        Assert.Equal(0.5204998778130465, ReferenceTransformer.Erf(0.5), 14);
        Assert.Equal(-0.9953222650189527, ReferenceTransformer.Erf(-2), 14);
        Assert.Equal(0.9999992569016276, ReferenceTransformer.Erf(3.5), 14);
    }

    private static RopeScaling? Scaling(string json)
    {
        using var document = JsonDocument.Parse(json);
        return RopeScaling.FromJson(document.RootElement);
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance = 1e-9)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"[{i}]: {expected[i]} vs {actual[i]}");
        }
    }
}
