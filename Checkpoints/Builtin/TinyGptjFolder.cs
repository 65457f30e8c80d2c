using System.Runtime.InteropServices;
using System.Text.Json;
using Tensorizer.Format;
using Tensorizer.Writing;

namespace Checkpoints.Builtin;

/// <summary>
/// The embedded default behind <c>builtin://tiny-gptj</c>: a tiny GPT-J (GPT-J's architecture and GPT-2 vocabulary,
/// small dimensions, fixed-seed weights) written as a model folder exactly like the seed's converted PVC:
/// <c>model.tensors</c> (fp16, as the seed converts), <c>config.json</c> and the GPT-2 tokenizer files. Made without
/// a tensor library (weights from a seeded generator, written by the format's own writer), so every host that
/// converts, the admin console included, can make it. Deterministic: the same bytes every time.
/// </summary>
public static class TinyGptjFolder
{
    public const int VocabSize = 50400;
    public const int NPositions = 512;
    public const int NEmbd = 64;
    public const int NLayer = 2;
    public const int NHead = 4;
    public const int RotaryDim = 8;
    public const string ActivationFunction = "gelu_new";
    public const double LayerNormEpsilon = 1e-5;
    private const long Seed = 20240501;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly string[] Architectures = ["GPTJForCausalLM"];

    public static async Task WriteAsync(string folder, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        Gpt2TokenizerFiles.Write(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "config.json"), ConfigJson(), cancellationToken).ConfigureAwait(false);
        await TensorWriter.WriteFileAsync(Path.Combine(folder, ModelFiles.TensorsFile), Weights(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Hugging Face's config.json for this model (what the seed's converter copies next to the weights).</summary>
    public static string ConfigJson() => JsonSerializer.Serialize(
        new Dictionary<string, object>
        {
            ["architectures"] = Architectures,
            ["model_type"] = "gptj",
            ["vocab_size"] = VocabSize,
            ["n_positions"] = NPositions,
            ["n_embd"] = NEmbd,
            ["n_layer"] = NLayer,
            ["n_head"] = NHead,
            ["rotary_dim"] = RotaryDim,
            ["n_inner"] = null!,
            ["activation_function"] = ActivationFunction,
            ["layer_norm_epsilon"] = LayerNormEpsilon,
            ["bos_token_id"] = Gpt2TokenizerFiles.EndOfTextId,
            ["eos_token_id"] = Gpt2TokenizerFiles.EndOfTextId,
            ["tie_word_embeddings"] = false,
            ["torch_dtype"] = "float16",
        },
        Indented);

    /// <summary>GPT-2-style initialization from a fixed seed: N(0, σ) matrices, small biases, near-unit norms; fp16.</summary>
    private static List<TensorToWrite> Weights()
    {
        var random = new NormalSource(Seed);
        var weights = new List<TensorToWrite>();
        void Add(string name, double std, double mean, params long[] shape)
        {
            var values = new Half[shape.Aggregate(1L, (a, b) => a * b)];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (Half)(float)(mean + (random.Next() * std));
            }

            weights.Add(TensorToWrite.StateDict(name, TensorElementType.Float16, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray()));
        }

        const long e = NEmbd, inner = 4 * NEmbd, vocab = VocabSize;
        Add("transformer.wte.weight", 0.02, 0, vocab, e);
        for (var i = 0; i < NLayer; i++)
        {
            var p = $"transformer.h.{i}.";
            Add(p + "ln_1.weight", 0.1, 1, e);
            Add(p + "ln_1.bias", 0.02, 0, e);
            foreach (var projection in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
            {
                Add(p + $"attn.{projection}.weight", 0.1, 0, e, e);
            }

            Add(p + "mlp.fc_in.weight", 0.1, 0, inner, e);
            Add(p + "mlp.fc_in.bias", 0.02, 0, inner);
            Add(p + "mlp.fc_out.weight", 0.05, 0, e, inner);
            Add(p + "mlp.fc_out.bias", 0.02, 0, e);
        }

        Add("transformer.ln_f.weight", 0.1, 1, e);
        Add("transformer.ln_f.bias", 0.02, 0, e);
        Add("lm_head.weight", 0.3, 0, vocab, e);
        Add("lm_head.bias", 0.02, 0, vocab);
        return weights;
    }

    /// <summary>Standard normal values from SplitMix64 and the Box–Muller transform: the same sequence on every platform.</summary>
    private sealed class NormalSource(long seed)
    {
        private ulong _state = (ulong)seed;
        private double? _spare;

        public double Next()
        {
            if (_spare is { } spare)
            {
                _spare = null;
                return spare;
            }

            var u1 = 1.0 - Uniform(); // (0, 1]: the logarithm stays finite
            var u2 = Uniform();
            var radius = Math.Sqrt(-2.0 * Math.Log(u1));
            _spare = radius * Math.Sin(2.0 * Math.PI * u2);
            return radius * Math.Cos(2.0 * Math.PI * u2);
        }

        /// <summary>[0, 1) in steps of 2⁻⁵³.</summary>
        private double Uniform()
        {
            var z = _state += 0x9E3779B97F4A7C15;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return ((z ^ (z >> 31)) >> 11) * (1.0 / (1UL << 53));
        }
    }
}
