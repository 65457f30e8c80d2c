using System.Text.Json;
using System.Text.Json.Nodes;
using Checkpoints.Builtin;
using Checkpoints.Formats;
using Tensorizer.Casting;
using Tensorizer.Format;

namespace TestSupport.Families;

/// <summary>rope_scaling as config.json states it.</summary>
public sealed record RopeScalingSpec(string Type, double Factor, double LowFreqFactor = 1, double HighFreqFactor = 4, int OriginalMaxPositionEmbeddings = 16);

/// <summary>
/// A tiny model of one of the families the service serves (llama, mistral, qwen2, qwen3, gpt_neox), as its Hugging
/// Face config.json states it. Defaults: 2 layers, hidden 64, 4 heads over 2 key/value heads, vocabulary 512.
/// </summary>
public sealed record TinyFamily
{
    public required string Name { get; init; }

    public required string ModelType { get; init; }

    public int VocabSize { get; init; } = 512;

    public int HiddenSize { get; init; } = 64;

    public int IntermediateSize { get; init; } = 128;

    public int Layers { get; init; } = 2;

    public int Heads { get; init; } = 4;

    /// <summary>Ignored by gpt_neox (one key/value head per head).</summary>
    public int KeyValueHeads { get; init; } = 2;

    /// <summary>An explicit head_dim (written to config.json); null: hidden / heads.</summary>
    public int? ExplicitHeadDim { get; init; }

    public int MaxPositionEmbeddings { get; init; } = 256;

    public double NormEps { get; init; } = 1e-6;

    public double RopeTheta { get; init; } = 10000;

    public RopeScalingSpec? RopeScaling { get; init; }

    /// <summary>llama and qwen3: attention_bias (q, k, v and o); qwen2 always has q/k/v biases.</summary>
    public bool AttentionBias { get; init; }

    /// <summary>llama: mlp_bias.</summary>
    public bool MlpBias { get; init; }

    /// <summary>mistral: sliding_window.</summary>
    public int? SlidingWindow { get; init; }

    public bool TieWordEmbeddings { get; init; }

    /// <summary>gpt_neox: use_parallel_residual.</summary>
    public bool ParallelResidual { get; init; } = true;

    /// <summary>gpt_neox: rotary_pct.</summary>
    public double RotaryPct { get; init; } = 0.25;

    /// <summary>hidden_act: silu for the Llama-shaped families, gelu for gpt_neox.</summary>
    public string? HiddenAct { get; init; }

    /// <summary>An int in config.json when there is one, else a list (Llama 3).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [2];

    /// <summary>The checkpoint's dtype: F32, F16 or BF16.</summary>
    public string Dtype { get; init; } = "F32";

    /// <summary>Also store what older checkpoints carry and the loader must skip (rotary inv_freq, GPT-NeoX's mask buffers).</summary>
    public bool LegacyBuffers { get; init; }

    public bool IsNeox => ModelType == "gpt_neox";

    public int HeadDim => ExplicitHeadDim ?? (HiddenSize / Heads);

    public int KvHeads => IsNeox ? Heads : KeyValueHeads;

    public string Activation => HiddenAct ?? (IsNeox ? "gelu" : "silu");

    public bool QkvBias => ModelType == "qwen2" || (ModelType is "llama" or "qwen3" && AttentionBias);

    public bool OutputBias => ModelType is "llama" or "qwen3" && AttentionBias;

    public bool QkNorm => ModelType == "qwen3";

    public int RotaryDim => IsNeox ? (int)(HeadDim * RotaryPct) : HeadDim;

    public override string ToString() => Name;

    /// <summary>config.json, with the keys and spellings Hugging Face's config class writes.</summary>
    public JsonObject ConfigJson()
    {
        var config = new JsonObject
        {
            ["model_type"] = ModelType,
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = Layers,
            ["num_attention_heads"] = Heads,
            ["hidden_act"] = Activation,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["eos_token_id"] = EosTokenIds.Count == 1 ? JsonValue.Create(EosTokenIds[0]) : new JsonArray([.. EosTokenIds.Select(id => JsonValue.Create(id))]),
            ["bos_token_id"] = 1,
            ["torch_dtype"] = Dtype switch { "F16" => "float16", "BF16" => "bfloat16", _ => "float32" },
            ["attention_dropout"] = 0.0,
        };
        if (IsNeox)
        {
            config["rotary_pct"] = RotaryPct;
            config["rotary_emb_base"] = RopeTheta;
            config["layer_norm_eps"] = NormEps;
            config["use_parallel_residual"] = ParallelResidual;
            config["hidden_dropout"] = 0.0;
        }
        else
        {
            config["num_key_value_heads"] = KeyValueHeads;
            config["rms_norm_eps"] = NormEps;
            config["rope_theta"] = RopeTheta;
            if (ExplicitHeadDim is { } headDim)
            {
                config["head_dim"] = headDim;
            }

            switch (ModelType)
            {
                case "llama":
                    config["attention_bias"] = AttentionBias;
                    config["mlp_bias"] = MlpBias;
                    config["pretraining_tp"] = 1;
                    break;
                case "qwen3":
                    config["attention_bias"] = AttentionBias;
                    config["use_sliding_window"] = false;
                    break;
                case "qwen2":
                    config["use_sliding_window"] = false;
                    config["sliding_window"] = 4096;
                    config["max_window_layers"] = Layers;
                    break;
                case "mistral":
                    config["sliding_window"] = SlidingWindow is { } window ? JsonValue.Create(window) : null;
                    break;
            }
        }

        if (RopeScaling is { } scaling)
        {
            var rope = new JsonObject { ["rope_type"] = scaling.Type, ["factor"] = scaling.Factor };
            if (scaling.Type == "llama3")
            {
                rope["low_freq_factor"] = scaling.LowFreqFactor;
                rope["high_freq_factor"] = scaling.HighFreqFactor;
                rope["original_max_position_embeddings"] = scaling.OriginalMaxPositionEmbeddings;
            }

            config["rope_scaling"] = rope;
        }

        return config;
    }

    /// <summary>Every tensor of the checkpoint, by Hugging Face name, with its shape.</summary>
    public IReadOnlyList<(string Name, long[] Shape)> Tensors()
    {
        var (h, v, i, hd) = ((long)HiddenSize, (long)VocabSize, (long)IntermediateSize, (long)HeadDim);
        var list = new List<(string, long[])>();
        if (IsNeox)
        {
            list.Add(("gpt_neox.embed_in.weight", [v, h]));
            for (var layer = 0; layer < Layers; layer++)
            {
                var p = $"gpt_neox.layers.{layer}.";
                list.AddRange(
                [
                    (p + "input_layernorm.weight", [h]), (p + "input_layernorm.bias", [h]),
                    (p + "post_attention_layernorm.weight", [h]), (p + "post_attention_layernorm.bias", [h]),
                    (p + "attention.query_key_value.weight", [3 * h, h]), (p + "attention.query_key_value.bias", [3 * h]),
                    (p + "attention.dense.weight", [h, h]), (p + "attention.dense.bias", [h]),
                    (p + "mlp.dense_h_to_4h.weight", [i, h]), (p + "mlp.dense_h_to_4h.bias", [i]),
                    (p + "mlp.dense_4h_to_h.weight", [h, i]), (p + "mlp.dense_4h_to_h.bias", [h]),
                ]);
                if (LegacyBuffers)
                {
                    list.AddRange([(p + "attention.bias", [1, 1, 4, 4]), (p + "attention.masked_bias", []), (p + "attention.rotary_emb.inv_freq", [RotaryDim / 2])]);
                }
            }

            list.AddRange([("gpt_neox.final_layer_norm.weight", [h]), ("gpt_neox.final_layer_norm.bias", [h])]);
            if (!TieWordEmbeddings)
            {
                list.Add(("embed_out.weight", [v, h]));
            }

            return list;
        }

        var (q, kv) = (Heads * hd, KvHeads * hd);
        list.Add(("model.embed_tokens.weight", [v, h]));
        for (var layer = 0; layer < Layers; layer++)
        {
            var p = $"model.layers.{layer}.";
            list.Add((p + "input_layernorm.weight", [h]));
            list.AddRange([(p + "self_attn.q_proj.weight", [q, h]), (p + "self_attn.k_proj.weight", [kv, h]), (p + "self_attn.v_proj.weight", [kv, h])]);
            if (QkvBias)
            {
                list.AddRange([(p + "self_attn.q_proj.bias", [q]), (p + "self_attn.k_proj.bias", [kv]), (p + "self_attn.v_proj.bias", [kv])]);
            }

            list.Add((p + "self_attn.o_proj.weight", [h, q]));
            if (OutputBias)
            {
                list.Add((p + "self_attn.o_proj.bias", [h]));
            }

            if (QkNorm)
            {
                list.AddRange([(p + "self_attn.q_norm.weight", [hd]), (p + "self_attn.k_norm.weight", [hd])]);
            }

            if (LegacyBuffers)
            {
                list.Add((p + "self_attn.rotary_emb.inv_freq", [hd / 2]));
            }

            list.Add((p + "post_attention_layernorm.weight", [h]));
            list.AddRange([(p + "mlp.gate_proj.weight", [i, h]), (p + "mlp.up_proj.weight", [i, h]), (p + "mlp.down_proj.weight", [h, i])]);
            if (MlpBias)
            {
                list.AddRange([(p + "mlp.gate_proj.bias", [i]), (p + "mlp.up_proj.bias", [i]), (p + "mlp.down_proj.bias", [h])]);
            }
        }

        list.Add(("model.norm.weight", [h]));
        if (!TieWordEmbeddings)
        {
            list.Add(("lm_head.weight", [v, h]));
        }

        return list;
    }

    /// <summary>
    /// Random weights for every tensor, scaled so attention is far from uniform and logits spread: norms near 1,
    /// biases small, matrices ±c/√fan_in. Rounded to <see cref="Dtype"/>, so these are exactly what the checkpoint holds.
    /// </summary>
    public Dictionary<string, float[]> RandomWeights(int seed)
    {
        var random = new Random(seed);
        var weights = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, shape) in Tensors())
        {
            var count = (int)shape.Aggregate(1L, (a, b) => a * b);
            var fanIn = shape.Length == 2 ? shape[1] : 1;
            var (center, scale) = name switch
            {
                _ when name.EndsWith("norm.weight", StringComparison.Ordinal) => (1.0, 0.3),
                _ when name.EndsWith(".bias", StringComparison.Ordinal) || name.EndsWith("masked_bias", StringComparison.Ordinal) => (0.0, 0.2),
                _ when name.Contains("embed_tokens", StringComparison.Ordinal) || name.Contains("embed_in", StringComparison.Ordinal) => (0.0, 1.0),
                _ when name.Contains("q_proj", StringComparison.Ordinal) || name.Contains("k_proj", StringComparison.Ordinal) || name.Contains("query_key_value", StringComparison.Ordinal) => (0.0, 2.5 / Math.Sqrt(fanIn)),
                _ when name.Contains("lm_head", StringComparison.Ordinal) || name.Contains("embed_out", StringComparison.Ordinal) => (0.0, 3.0 / Math.Sqrt(fanIn)),
                _ => (0.0, 1.5 / Math.Sqrt(fanIn)),
            };
            var values = new float[count];
            for (var k = 0; k < count; k++)
            {
                values[k] = (float)(center + (scale * ((2 * random.NextDouble()) - 1)));
            }

            weights[name] = Round(values);
        }

        return weights;
    }

    /// <summary>Writes the checkpoint (model.safetensors, config.json, GPT-2's tokenizer files) into <paramref name="folder"/>.</summary>
    public void WriteCheckpoint(string folder, IReadOnlyDictionary<string, float[]> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        Directory.CreateDirectory(folder);
        var shapes = Tensors().ToDictionary(t => t.Name, t => t.Shape, StringComparer.Ordinal);
        SafetensorsWriter.Write(
            Path.Combine(folder, "model.safetensors"),
            weights.Select(w => (w.Key, Dtype, shapes.TryGetValue(w.Key, out var shape) ? shape : [w.Value.Length], Encode(w.Value))));
        File.WriteAllText(Path.Combine(folder, "config.json"), ConfigJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Gpt2TokenizerFiles.Write(folder);
    }

    private TensorElementType ElementType => Dtype switch
    {
        "F16" => TensorElementType.Float16,
        "BF16" => TensorElementType.BFloat16,
        "F32" => TensorElementType.Float32,
        _ => throw new NotSupportedException($"Checkpoint dtype {Dtype}."),
    };

    private byte[] Encode(float[] values)
    {
        var source = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan());
        var bytes = new byte[values.Length * (ElementType == TensorElementType.Float32 ? 4 : 2)];
        ElementCasts.Cast(source, TensorElementType.Float32, bytes, ElementType);
        return bytes;
    }

    private float[] Round(float[] values)
    {
        if (ElementType == TensorElementType.Float32)
        {
            return values;
        }

        var rounded = new float[values.Length];
        ElementCasts.Cast(Encode(values), ElementType, System.Runtime.InteropServices.MemoryMarshal.AsBytes(rounded.AsSpan()), TensorElementType.Float32);
        return rounded;
    }
}
