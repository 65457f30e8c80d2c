using TestSupport.Families;

namespace Models.Tests.Reference;

/// <summary>Hyperparameters of <see cref="ReferenceGptj"/>, named after Hugging Face's GPTJConfig.</summary>
internal sealed record ReferenceConfig(
    int VocabSize,
    int NEmbd,
    int NLayer,
    int NHead,
    int RotaryDim,
    float LayerNormEpsilon,
    string Activation);

/// <summary>
/// A deliberately naive GPT-J forward pass (transformers' modeling_gptj.py, GPTJForCausalLM) over float arrays,
/// used as the test oracle for the TorchSharp model. Every intermediate tensor is stored as float32, like the
/// eager float32 model; sums are accumulated in double, so it is slightly more accurate than torch, never less.
/// Not supported: rotary_dim None (HF would rotate with embed_dim-sized tables), n_inner other than 4·n_embd,
/// padding masks, batches and KV caches.
/// </summary>
internal sealed class ReferenceGptj
{
    private readonly ReferenceConfig _config;
    private readonly int _headDim;
    private readonly float[] _wte;
    private readonly LayerWeights[] _layers;
    private readonly float[] _lnFWeight;
    private readonly float[] _lnFBias;
    private readonly float[] _lmHeadWeight;
    private readonly float[] _lmHeadBias;

    public ReferenceGptj(ReferenceConfig config, IReadOnlyDictionary<string, float[]> weights)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        if (config.NEmbd % config.NHead != 0)
        {
            throw new ArgumentException($"n_embd {config.NEmbd} is not divisible by n_head {config.NHead}.", nameof(config));
        }

        _headDim = config.NEmbd / config.NHead;
        if (config.RotaryDim <= 0 || config.RotaryDim > _headDim || config.RotaryDim % 2 != 0)
        {
            throw new ArgumentException($"rotary_dim {config.RotaryDim} must be even and in (0, head_dim {_headDim}].", nameof(config));
        }

        if (config.Activation != "gelu_new")
        {
            throw new NotSupportedException($"Activation '{config.Activation}' is not supported; GPT-J uses gelu_new.");
        }

        _config = config;
        var e = config.NEmbd;
        var inner = 4 * e;
        float[] Get(string name, long expected)
        {
            if (!weights.TryGetValue(name, out var w))
            {
                throw new ArgumentException($"Missing weight '{name}'.", nameof(weights));
            }

            if (w.LongLength != expected)
            {
                throw new ArgumentException($"Weight '{name}' has {w.LongLength} elements, expected {expected}.", nameof(weights));
            }

            return w;
        }

        _wte = Get("transformer.wte.weight", (long)config.VocabSize * e);
        _layers = new LayerWeights[config.NLayer];
        for (var i = 0; i < config.NLayer; i++)
        {
            var p = $"transformer.h.{i}.";
            _layers[i] = new LayerWeights(
                Get(p + "ln_1.weight", e),
                Get(p + "ln_1.bias", e),
                Get(p + "attn.q_proj.weight", (long)e * e),
                Get(p + "attn.k_proj.weight", (long)e * e),
                Get(p + "attn.v_proj.weight", (long)e * e),
                Get(p + "attn.out_proj.weight", (long)e * e),
                Get(p + "mlp.fc_in.weight", (long)inner * e),
                Get(p + "mlp.fc_in.bias", inner),
                Get(p + "mlp.fc_out.weight", (long)e * inner),
                Get(p + "mlp.fc_out.bias", e));
        }

        _lnFWeight = Get("transformer.ln_f.weight", e);
        _lnFBias = Get("transformer.ln_f.bias", e);
        _lmHeadWeight = Get("lm_head.weight", (long)config.VocabSize * e);
        _lmHeadBias = Get("lm_head.bias", config.VocabSize);
    }

    /// <summary>Logits for every position of one sequence: [seqLen][vocab].</summary>
    public float[][] Forward(IReadOnlyList<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Count == 0)
        {
            throw new ArgumentException("At least one token is required.", nameof(tokens));
        }

        var e = _config.NEmbd;
        var h = new float[tokens.Count][];
        for (var t = 0; t < tokens.Count; t++)
        {
            var token = tokens[t];
            if (token < 0 || token >= _config.VocabSize)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), $"Token {token} at {t} is outside the vocabulary.");
            }

            h[t] = _wte.AsSpan(token * e, e).ToArray();
        }

        foreach (var layer in _layers)
        {
            // GPTJBlock: one ln_1 feeds both attention and MLP; hidden = attn + mlp + residual.
            var x = Array.ConvertAll(h, v => LayerNorm(v, layer.Ln1Weight, layer.Ln1Bias, _config.LayerNormEpsilon));
            var attn = Attention(layer, x);
            for (var t = 0; t < h.Length; t++)
            {
                var hidden = Array.ConvertAll(Linear(x[t], layer.FcInWeight, layer.FcInBias), GeluNew);
                var mlp = Linear(hidden, layer.FcOutWeight, layer.FcOutBias);
                for (var i = 0; i < e; i++)
                {
                    h[t][i] = attn[t][i] + mlp[i] + h[t][i];
                }
            }
        }

        return Array.ConvertAll(h, v => Linear(LayerNorm(v, _lnFWeight, _lnFBias, _config.LayerNormEpsilon), _lmHeadWeight, _lmHeadBias));
    }

    /// <summary>
    /// Greedy continuation by recomputing the whole sequence each step (no cache, no EOS stop): the new token ids.
    /// Ties go to the lowest id, like torch.argmax.
    /// </summary>
    public IReadOnlyList<int> GreedyGenerate(IReadOnlyList<int> prompt, int maxNewTokens)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentOutOfRangeException.ThrowIfNegative(maxNewTokens);
        var sequence = new List<int>(prompt);
        var generated = new List<int>(maxNewTokens);
        for (var step = 0; step < maxNewTokens; step++)
        {
            var logits = Forward(sequence)[^1];
            var next = ReferenceTransformer.ArgMax(logits);
            sequence.Add(next);
            generated.Add(next);
        }

        return generated;
    }

    /// <summary>torch.nn.LayerNorm over the last dim: biased variance, eps inside the square root.</summary>
    internal static float[] LayerNorm(float[] x, float[] weight, float[] bias, float eps)
    {
        double mean = 0;
        foreach (var v in x)
        {
            mean += v;
        }

        mean /= x.Length;
        double variance = 0;
        foreach (var v in x)
        {
            variance += (v - mean) * (v - mean);
        }

        variance /= x.Length;
        var invStd = 1.0 / Math.Sqrt(variance + eps);
        var y = new float[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            y[i] = (float)(((x[i] - mean) * invStd * weight[i]) + bias[i]);
        }

        return y;
    }

    /// <summary>transformers' NewGELUActivation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
    internal static float GeluNew(float x)
    {
        double v = x;
        return (float)(0.5 * v * (1.0 + Math.Tanh(Math.Sqrt(2.0 / Math.PI) * (v + (0.044715 * v * v * v)))));
    }

    /// <summary>
    /// Rotates the first <paramref name="rotaryDim"/> dims of one head (at <paramref name="offset"/>) in place, GPT-J
    /// style: interleaved pairs (2j, 2j+1) turn by position·inv_freq[j]; dims past rotaryDim pass through.
    /// </summary>
    internal static void ApplyRotary(float[] vector, int offset, int rotaryDim, int position)
    {
        for (var j = 0; j < rotaryDim / 2; j++)
        {
            var (sin, cos) = SinCos(position, j, rotaryDim);
            double x0 = vector[offset + (2 * j)];
            double x1 = vector[offset + (2 * j) + 1];
            // (x * cos) + (rotate_every_two(x) * sin) with rotate_every_two(x)[2j] = -x[2j+1], [2j+1] = x[2j].
            vector[offset + (2 * j)] = (float)((x0 * cos) - (x1 * sin));
            vector[offset + (2 * j) + 1] = (float)((x1 * cos) + (x0 * sin));
        }
    }

    /// <summary>
    /// sin/cos of create_sinusoidal_positions for (position, frequency j). HF builds inv_freq and the angle as
    /// float32 tensors; we round the same way, since at positions in the thousands float32 angle rounding (~1e-4 rad)
    /// would otherwise be a visible difference.
    /// </summary>
    internal static (double Sin, double Cos) SinCos(int position, int j, int rotaryDim)
    {
        var exponent = (float)(2 * j) / rotaryDim;
        var invFreq = 1.0f / MathF.Pow(10000f, exponent);
        var angle = (float)position * invFreq;
        return (Math.Sin(angle), Math.Cos(angle));
    }

    private float[][] Attention(LayerWeights layer, float[][] x)
    {
        var seqLen = x.Length;
        var q = Array.ConvertAll(x, row => Linear(row, layer.QWeight, null));
        var k = Array.ConvertAll(x, row => Linear(row, layer.KWeight, null));
        var v = Array.ConvertAll(x, row => Linear(row, layer.VWeight, null));
        for (var t = 0; t < seqLen; t++)
        {
            for (var head = 0; head < _config.NHead; head++)
            {
                ApplyRotary(q[t], head * _headDim, _config.RotaryDim, t);
                ApplyRotary(k[t], head * _headDim, _config.RotaryDim, t);
            }
        }

        // HF divides by sqrt(head_dim) computed as a float32 tensor.
        double scale = MathF.Sqrt(_headDim);
        var merged = new float[seqLen][];
        var scores = new double[seqLen];
        for (var t = 0; t < seqLen; t++)
        {
            merged[t] = new float[_config.NEmbd];
            for (var head = 0; head < _config.NHead; head++)
            {
                var offset = head * _headDim;
                // Causal: position t sees keys 0..t; HF's min_dtype mask gives the others exactly zero weight.
                var max = double.NegativeInfinity;
                for (var s = 0; s <= t; s++)
                {
                    double dot = 0;
                    for (var d = 0; d < _headDim; d++)
                    {
                        dot += (double)q[t][offset + d] * k[s][offset + d];
                    }

                    scores[s] = dot / scale;
                    max = Math.Max(max, scores[s]);
                }

                double sum = 0;
                for (var s = 0; s <= t; s++)
                {
                    scores[s] = Math.Exp(scores[s] - max);
                    sum += scores[s];
                }

                for (var d = 0; d < _headDim; d++)
                {
                    double acc = 0;
                    for (var s = 0; s <= t; s++)
                    {
                        acc += scores[s] / sum * v[s][offset + d];
                    }

                    merged[t][offset + d] = (float)acc;
                }
            }
        }

        return Array.ConvertAll(merged, m => Linear(m, layer.OutWeight, null));
    }

    /// <summary>torch.nn.Linear: y = x·Wᵀ + b with W stored row-major as [out, in].</summary>
    private static float[] Linear(float[] x, float[] weight, float[]? bias)
    {
        var inFeatures = x.Length;
        var outFeatures = weight.Length / inFeatures;
        var y = new float[outFeatures];
        // Rows are independent and each is summed in a fixed order, so the result is deterministic.
        Parallel.For(0, outFeatures, o =>
        {
            double acc = bias is null ? 0 : bias[o];
            var row = (long)o * inFeatures;
            for (var i = 0; i < inFeatures; i++)
            {
                acc += (double)x[i] * weight[row + i];
            }

            y[o] = (float)acc;
        });
        return y;
    }

    private sealed record LayerWeights(
        float[] Ln1Weight,
        float[] Ln1Bias,
        float[] QWeight,
        float[] KWeight,
        float[] VWeight,
        float[] OutWeight,
        float[] FcInWeight,
        float[] FcInBias,
        float[] FcOutWeight,
        float[] FcOutBias);
}
