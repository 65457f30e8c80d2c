using TestSupport.Families;

namespace Models.Tests.Families;

/// <summary>The tiny models every family test runs on: each family and the config variants that change its math.</summary>
public static class TinyFamilies
{
    public static IReadOnlyList<TinyFamily> All { get; } =
    [
        // Llama 2 shape with grouped-query attention; old checkpoints' rotary_emb.inv_freq buffers are skipped.
        new() { Name = "llama", ModelType = "llama", LegacyBuffers = true },

        // Llama 3.1/3.2: llama3 rope scaling (a high-, a medium- and low-frequency band at head_dim 16), rope_theta
        // 500000, tied embeddings, a list of end-of-text ids, a bfloat16 checkpoint.
        new()
        {
            Name = "llama3", ModelType = "llama", RopeTheta = 500000, TieWordEmbeddings = true, EosTokenIds = [2, 3, 4], Dtype = "BF16",
            RopeScaling = new RopeScalingSpec("llama3", 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 64),
        },

        // Linear position interpolation, every bias, a head_dim that is not hidden / heads, a float16 checkpoint.
        new()
        {
            Name = "llama-linear-biases", ModelType = "llama", RopeScaling = new RopeScalingSpec("linear", 2), AttentionBias = true, MlpBias = true,
            ExplicitHeadDim = 24, Dtype = "F16",
        },

        // Dynamic NTK scaling past a trained context of 16: the prompts are longer.
        new() { Name = "llama-dynamic", ModelType = "llama", RopeScaling = new RopeScalingSpec("dynamic", 2), MaxPositionEmbeddings = 16 },

        // One key/value head for all four query heads.
        new() { Name = "llama-mqa", ModelType = "llama", KeyValueHeads = 1 },

        // A sliding window far shorter than the prompts.
        new() { Name = "mistral", ModelType = "mistral", SlidingWindow = 6 },

        // q/k/v biases, tied embeddings.
        new() { Name = "qwen2", ModelType = "qwen2", TieWordEmbeddings = true },

        // Per-head q/k RMSNorm, head_dim 32 over a hidden size of 64.
        new() { Name = "qwen3", ModelType = "qwen3", ExplicitHeadDim = 32 },

        // Pythia: parallel residual, a quarter of each head rotating, LayerNorms with biases, mask buffers to skip.
        new() { Name = "pythia", ModelType = "gpt_neox", NormEps = 1e-5, LegacyBuffers = true, Dtype = "F16" },

        // GPT-NeoX with the sequential residual, half the head rotating, tanh GELU, tied embeddings.
        new()
        {
            Name = "neox-sequential", ModelType = "gpt_neox", NormEps = 1e-5, ParallelResidual = false, RotaryPct = 0.5, HiddenAct = "gelu_new",
            TieWordEmbeddings = true,
        },
    ];

    public static TheoryData<string> Names => [.. All.Select(f => f.Name)];

    public static TinyFamily Get(string name) => All.Single(f => f.Name == name);

    /// <summary>A prompt of <paramref name="length"/> pseudo-random ids (none of them an end-of-text id).</summary>
    public static int[] Prompt(int length, int seed = 0) => [.. Enumerable.Range(0, length).Select(i => 5 + (((i + 1) * 7919 + (seed * 104729)) % 500))];

    /// <summary>Prompts long enough to pass a family's window or trained context.</summary>
    public static int PromptLength(TinyFamily family) => family.SlidingWindow is not null || family.RopeScaling?.Type == "dynamic" ? 20 : 12;
}
