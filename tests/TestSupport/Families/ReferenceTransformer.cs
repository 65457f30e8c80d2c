namespace TestSupport.Families;

/// <summary>
/// A deliberately plain forward pass of the families in <see cref="TinyFamily"/>, written from Hugging Face's
/// modeling code (modeling_llama.py, modeling_mistral.py, modeling_qwen2.py, modeling_qwen3.py, modeling_gpt_neox.py
/// and modeling_rope_utils.py) over float arrays: the test oracle for the TorchSharp models. No tensor library;
/// every intermediate is stored as float32, as the eager float32 model stores it, sums run in double. One sequence at
/// a time, with a key/value cache as Hugging Face's generate keeps one (so dynamic rope scaling rotates each key with
/// the frequencies of the pass that computed it, as there).
/// </summary>
public sealed class ReferenceTransformer
{
    private readonly TinyFamily _family;
    private readonly IReadOnlyDictionary<string, float[]> _weights;

    public ReferenceTransformer(TinyFamily family, IReadOnlyDictionary<string, float[]> weights)
    {
        ArgumentNullException.ThrowIfNull(family);
        ArgumentNullException.ThrowIfNull(weights);
        _family = family;
        _weights = weights;
        foreach (var (name, shape) in family.Tensors())
        {
            var expected = shape.Aggregate(1L, (a, b) => a * b);
            if (!weights.TryGetValue(name, out var w) || w.LongLength != expected)
            {
                throw new ArgumentException($"Weight '{name}' is missing or not {expected} elements.", nameof(weights));
            }
        }
    }

    /// <summary>Logits [tokens][vocabulary] of a whole sequence from position 0.</summary>
    public float[][] Forward(IReadOnlyList<int> tokens) => new Session(this).Forward(tokens);

    /// <summary>Greedy continuation as Hugging Face's generate does it: prefill, then one token per step over the cache; ties go to the lowest id.</summary>
    public IReadOnlyList<int> GreedyGenerate(IReadOnlyList<int> prompt, int maxNewTokens)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var session = new Session(this);
        var generated = new List<int>();
        var logits = session.Forward(prompt)[^1];
        for (var step = 0; step < maxNewTokens; step++)
        {
            var next = ArgMax(logits);
            generated.Add(next);
            if (step + 1 < maxNewTokens)
            {
                logits = session.Forward([next])[^1];
            }
        }

        return generated;
    }

    /// <summary>Index of the first maximum.</summary>
    public static int ArgMax(float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>
    /// inv_freq as modeling_rope_utils.py computes it (float32), for a pass whose longest sequence is
    /// <paramref name="sequenceLength"/>: default, linear, dynamic (NTK) or llama3.
    /// </summary>
    public static float[] InverseFrequencies(TinyFamily family, long sequenceLength)
    {
        ArgumentNullException.ThrowIfNull(family);
        var dim = family.RotaryDim;
        var theta = family.RopeTheta;
        var scaling = family.RopeScaling;
        if (scaling is { Type: "dynamic" } && sequenceLength > family.MaxPositionEmbeddings)
        {
            theta *= Math.Pow((scaling.Factor * sequenceLength / family.MaxPositionEmbeddings) - (scaling.Factor - 1), dim / (dim - 2.0));
        }

        var result = new float[dim / 2];
        for (var j = 0; j < dim / 2; j++)
        {
            var inv = 1.0f / MathF.Pow((float)theta, (float)(2 * j) / dim);
            if (scaling is { Type: "linear" })
            {
                inv /= (float)scaling.Factor;
            }
            else if (scaling is { Type: "llama3" })
            {
                var lowWavelength = (float)(scaling.OriginalMaxPositionEmbeddings / scaling.LowFreqFactor);
                var highWavelength = (float)(scaling.OriginalMaxPositionEmbeddings / scaling.HighFreqFactor);
                var wavelength = (float)(2 * Math.PI) / inv;
                var llama = wavelength > lowWavelength ? inv / (float)scaling.Factor : inv;
                var smooth = ((scaling.OriginalMaxPositionEmbeddings / wavelength) - (float)scaling.LowFreqFactor) / (float)(scaling.HighFreqFactor - scaling.LowFreqFactor);
                var smoothed = ((1 - smooth) * llama / (float)scaling.Factor) + (smooth * llama);
                var medium = !(wavelength < highWavelength) && !(wavelength > lowWavelength);
                inv = medium ? smoothed : llama;
            }

            result[j] = inv;
        }

        return result;
    }

    /// <summary>torch.nn.functional.gelu (erf form).</summary>
    public static float Gelu(float x) => (float)(0.5 * x * (1 + Erf(x / Math.Sqrt(2))));

    /// <summary>transformers' NewGELUActivation (tanh form).</summary>
    public static float GeluTanh(float x)
    {
        double v = x;
        return (float)(0.5 * v * (1.0 + Math.Tanh(Math.Sqrt(2.0 / Math.PI) * (v + (0.044715 * v * v * v)))));
    }

    public static float Silu(float x) => (float)(x / (1 + Math.Exp(-(double)x)));

    /// <summary>erf by its Maclaurin series (|x| ≤ 3) or its continued fraction (|x| &gt; 3), to double precision.</summary>
    public static double Erf(double x)
    {
        var a = Math.Abs(x);
        double result;
        if (a <= 3)
        {
            double sum = 0, term = a;
            for (var n = 0; n < 200; n++)
            {
                sum += term / ((2 * n) + 1);
                term *= -a * a / (n + 1);
                if (Math.Abs(term) < 1e-17)
                {
                    break;
                }
            }

            result = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // erfc(a) = exp(−a²)/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + …)))).
            double fraction = a;
            for (var k = 60; k >= 1; k--)
            {
                fraction = a + (k / 2.0 / fraction);
            }

            result = 1 - (Math.Exp(-a * a) / Math.Sqrt(Math.PI) / fraction);
        }

        return x < 0 ? -result : result;
    }

    private float[] W(string name) => _weights[name];

    private float[]? Bias(string name) => _weights.TryGetValue(name, out var b) ? b : null;

    /// <summary>torch.nn.Linear: y = x·Wᵀ + b, W row-major [out, in].</summary>
    private static float[] Linear(float[] x, float[] weight, float[]? bias)
    {
        var inFeatures = x.Length;
        var outFeatures = weight.Length / inFeatures;
        var y = new float[outFeatures];
        for (var o = 0; o < outFeatures; o++)
        {
            double acc = bias is null ? 0 : bias[o];
            var row = (long)o * inFeatures;
            for (var i = 0; i < inFeatures; i++)
            {
                acc += (double)x[i] * weight[row + i];
            }

            y[o] = (float)acc;
        }

        return y;
    }

    /// <summary>LlamaRMSNorm over x[offset..offset+length): x/√(mean(x²)+eps), then × weight.</summary>
    private static float[] RmsNorm(float[] x, int offset, int length, float[] weight, double eps)
    {
        double sum = 0;
        for (var i = 0; i < length; i++)
        {
            sum += (double)x[offset + i] * x[offset + i];
        }

        var inverse = 1.0 / Math.Sqrt((sum / length) + eps);
        var y = new float[length];
        for (var i = 0; i < length; i++)
        {
            y[i] = weight[i] * (float)(x[offset + i] * inverse);
        }

        return y;
    }

    /// <summary>torch.nn.LayerNorm: biased variance, eps inside the root.</summary>
    private static float[] LayerNorm(float[] x, float[] weight, float[] bias, double eps)
    {
        var mean = x.Average(v => (double)v);
        var variance = x.Sum(v => (v - mean) * (v - mean)) / x.Length;
        var inverse = 1.0 / Math.Sqrt(variance + eps);
        var y = new float[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            y[i] = (float)(((x[i] - mean) * inverse * weight[i]) + bias[i]);
        }

        return y;
    }

    private float Act(float x) => _family.Activation switch
    {
        "silu" => Silu(x),
        "gelu" => Gelu(x),
        "gelu_new" or "gelu_pytorch_tanh" => GeluTanh(x),
        var other => throw new NotSupportedException(other),
    };

    /// <summary>One sequence's cache: rotated keys and values per layer and position.</summary>
    private sealed class Session(ReferenceTransformer model)
    {
        private readonly List<float[]>[] _keys = [.. Enumerable.Range(0, model._family.Layers).Select(_ => new List<float[]>())];
        private readonly List<float[]>[] _values = [.. Enumerable.Range(0, model._family.Layers).Select(_ => new List<float[]>())];

        private TinyFamily F => model._family;

        public float[][] Forward(IReadOnlyList<int> tokens)
        {
            var start = _keys[0].Count;
            var inverse = InverseFrequencies(F, start + tokens.Count); // the longest sequence of this pass (dynamic scaling)
            var h = new float[tokens.Count][];
            var embedding = model.W(F.IsNeox ? "gpt_neox.embed_in.weight" : "model.embed_tokens.weight");
            for (var t = 0; t < tokens.Count; t++)
            {
                h[t] = embedding.AsSpan(tokens[t] * F.HiddenSize, F.HiddenSize).ToArray();
            }

            for (var layer = 0; layer < F.Layers; layer++)
            {
                h = F.IsNeox ? NeoxLayer(layer, h, start, inverse) : DecoderLayer(layer, h, start, inverse);
            }

            return Array.ConvertAll(h, x =>
            {
                var normed = F.IsNeox
                    ? LayerNorm(x, model.W("gpt_neox.final_layer_norm.weight"), model.W("gpt_neox.final_layer_norm.bias"), F.NormEps)
                    : RmsNorm(x, 0, x.Length, model.W("model.norm.weight"), F.NormEps);
                var head = F.TieWordEmbeddings ? embedding : model.W(F.IsNeox ? "embed_out.weight" : "lm_head.weight");
                return Linear(normed, head, null);
            });
        }

        private float[][] DecoderLayer(int layer, float[][] h, int start, float[] inverse)
        {
            var p = $"model.layers.{layer}.";
            var (hd, heads, kvHeads) = (F.HeadDim, F.Heads, F.KvHeads);
            var queries = new float[h.Length][];
            for (var t = 0; t < h.Length; t++)
            {
                var x = RmsNorm(h[t], 0, F.HiddenSize, model.W(p + "input_layernorm.weight"), F.NormEps);
                var q = Linear(x, model.W(p + "self_attn.q_proj.weight"), model.Bias(p + "self_attn.q_proj.bias"));
                var k = Linear(x, model.W(p + "self_attn.k_proj.weight"), model.Bias(p + "self_attn.k_proj.bias"));
                var v = Linear(x, model.W(p + "self_attn.v_proj.weight"), model.Bias(p + "self_attn.v_proj.bias"));
                if (F.QkNorm)
                {
                    // Qwen3: RMSNorm over each head of q and k, before the rotary.
                    for (var head = 0; head < heads; head++)
                    {
                        RmsNorm(q, head * hd, hd, model.W(p + "self_attn.q_norm.weight"), F.NormEps).CopyTo(q, head * hd);
                    }

                    for (var head = 0; head < kvHeads; head++)
                    {
                        RmsNorm(k, head * hd, hd, model.W(p + "self_attn.k_norm.weight"), F.NormEps).CopyTo(k, head * hd);
                    }
                }

                for (var head = 0; head < heads; head++)
                {
                    RotateHalf(q, head * hd, start + t, inverse);
                }

                for (var head = 0; head < kvHeads; head++)
                {
                    RotateHalf(k, head * hd, start + t, inverse);
                }

                queries[t] = q;
                _keys[layer].Add(k);
                _values[layer].Add(v);
            }

            var output = new float[h.Length][];
            for (var t = 0; t < h.Length; t++)
            {
                var attended = Attend(layer, queries[t], start + t);
                var o = Linear(attended, model.W(p + "self_attn.o_proj.weight"), model.Bias(p + "self_attn.o_proj.bias"));
                var residual = new float[F.HiddenSize];
                for (var i = 0; i < residual.Length; i++)
                {
                    residual[i] = h[t][i] + o[i];
                }

                var y = RmsNorm(residual, 0, F.HiddenSize, model.W(p + "post_attention_layernorm.weight"), F.NormEps);
                var gate = Linear(y, model.W(p + "mlp.gate_proj.weight"), model.Bias(p + "mlp.gate_proj.bias"));
                var up = Linear(y, model.W(p + "mlp.up_proj.weight"), model.Bias(p + "mlp.up_proj.bias"));
                for (var i = 0; i < gate.Length; i++)
                {
                    gate[i] = model.Act(gate[i]) * up[i];
                }

                var down = Linear(gate, model.W(p + "mlp.down_proj.weight"), model.Bias(p + "mlp.down_proj.bias"));
                output[t] = new float[F.HiddenSize];
                for (var i = 0; i < residual.Length; i++)
                {
                    output[t][i] = residual[i] + down[i];
                }
            }

            return output;
        }

        private float[][] NeoxLayer(int layer, float[][] h, int start, float[] inverse)
        {
            var p = $"gpt_neox.layers.{layer}.";
            var hd = F.HeadDim;
            var queries = new float[h.Length][];
            for (var t = 0; t < h.Length; t++)
            {
                var x = LayerNorm(h[t], model.W(p + "input_layernorm.weight"), model.W(p + "input_layernorm.bias"), F.NormEps);
                var qkv = Linear(x, model.W(p + "attention.query_key_value.weight"), model.W(p + "attention.query_key_value.bias"));
                // Per head: [q (head_size), k (head_size), v (head_size)].
                var (q, k, v) = (new float[F.HiddenSize], new float[F.HiddenSize], new float[F.HiddenSize]);
                for (var head = 0; head < F.Heads; head++)
                {
                    Array.Copy(qkv, head * 3 * hd, q, head * hd, hd);
                    Array.Copy(qkv, (head * 3 * hd) + hd, k, head * hd, hd);
                    Array.Copy(qkv, (head * 3 * hd) + (2 * hd), v, head * hd, hd);
                    RotateHalf(q, head * hd, start + t, inverse);
                    RotateHalf(k, head * hd, start + t, inverse);
                }

                queries[t] = q;
                _keys[layer].Add(k);
                _values[layer].Add(v);
            }

            var output = new float[h.Length][];
            for (var t = 0; t < h.Length; t++)
            {
                var attended = Linear(Attend(layer, queries[t], start + t), model.W(p + "attention.dense.weight"), model.W(p + "attention.dense.bias"));
                float[] Mlp(float[] input)
                {
                    var y = LayerNorm(input, model.W(p + "post_attention_layernorm.weight"), model.W(p + "post_attention_layernorm.bias"), F.NormEps);
                    var inner = Array.ConvertAll(Linear(y, model.W(p + "mlp.dense_h_to_4h.weight"), model.W(p + "mlp.dense_h_to_4h.bias")), model.Act);
                    return Linear(inner, model.W(p + "mlp.dense_4h_to_h.weight"), model.W(p + "mlp.dense_4h_to_h.bias"));
                }

                output[t] = new float[F.HiddenSize];
                if (F.ParallelResidual)
                {
                    // hidden = mlp(ln2(x)) + attn(ln1(x)) + x
                    var mlp = Mlp(h[t]);
                    for (var i = 0; i < F.HiddenSize; i++)
                    {
                        output[t][i] = mlp[i] + attended[i] + h[t][i];
                    }
                }
                else
                {
                    // attn_output = attn + x; hidden = mlp(ln2(attn_output)) + attn_output
                    var residual = new float[F.HiddenSize];
                    for (var i = 0; i < F.HiddenSize; i++)
                    {
                        residual[i] = attended[i] + h[t][i];
                    }

                    var mlp = Mlp(residual);
                    for (var i = 0; i < F.HiddenSize; i++)
                    {
                        output[t][i] = mlp[i] + residual[i];
                    }
                }
            }

            return output;
        }

        /// <summary>
        /// rotate_half on the first rotary dims of one head: x[j] and x[j + half] turn by position·inv_freq[j], the
        /// angle rounded to float32 as torch computes it; (x·cos) + (rotate_half(x)·sin).
        /// </summary>
        private void RotateHalf(float[] x, int offset, int position, float[] inverse)
        {
            var half = F.RotaryDim / 2;
            for (var j = 0; j < half; j++)
            {
                var angle = (float)position * inverse[j];
                var (sin, cos) = ((float)Math.Sin(angle), (float)Math.Cos(angle));
                var (a, b) = (x[offset + j], x[offset + j + half]);
                x[offset + j] = (a * cos) - (b * sin);
                x[offset + j + half] = (b * cos) + (a * sin);
            }
        }

        /// <summary>
        /// Softmax attention of one query at cache index <paramref name="index"/> over the keys at or before it (and
        /// within the sliding window: index − key &lt; window); query head h reads key/value head h / (heads / kv heads).
        /// </summary>
        private float[] Attend(int layer, float[] query, int index)
        {
            var (hd, group) = (F.HeadDim, F.Heads / F.KvHeads);
            var first = F.SlidingWindow is { } window ? Math.Max(0, index - window + 1) : 0;
            var result = new float[F.Heads * hd];
            var scores = new double[index + 1];
            var scale = 1 / Math.Sqrt(hd);
            for (var head = 0; head < F.Heads; head++)
            {
                var kv = head / group * hd;
                var max = double.NegativeInfinity;
                for (var s = first; s <= index; s++)
                {
                    double dot = 0;
                    for (var d = 0; d < hd; d++)
                    {
                        dot += (double)query[(head * hd) + d] * _keys[layer][s][kv + d];
                    }

                    scores[s] = dot * scale;
                    max = Math.Max(max, scores[s]);
                }

                double sum = 0;
                for (var s = first; s <= index; s++)
                {
                    scores[s] = Math.Exp(scores[s] - max);
                    sum += scores[s];
                }

                for (var d = 0; d < hd; d++)
                {
                    double acc = 0;
                    for (var s = first; s <= index; s++)
                    {
                        acc += scores[s] / sum * _values[layer][s][kv + d];
                    }

                    result[(head * hd) + d] = (float)acc;
                }
            }

            return result;
        }
    }
}
