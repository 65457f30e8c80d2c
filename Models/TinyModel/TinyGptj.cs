using System.Text.Json;
using Models.Gptj;
using Models.Tokenization;
using Models.Torch;
using Tensorizer.Torch;
using static TorchSharp.torch;

namespace Models.TinyModel;

/// <summary>
/// The embedded default: a tiny GPT-J (GPT-J's architecture and GPT-2 vocabulary, small dimensions, fixed-seed
/// weights) written as a model folder exactly like the seed's converted PVC: <c>model.tensors</c> (fp16, as the
/// seed converts), <c>config.json</c> and the GPT-2 tokenizer files. Deterministic: the same bytes every time.
/// </summary>
public static class TinyGptj
{
    /// <summary>How settings name it: the service's <c>MODEL_PATH</c>, the converter's <c>--source</c>.</summary>
    public const string Location = "builtin://tiny-gptj";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly string[] Architectures = ["GPTJForCausalLM"];

    public static GptjConfig Config { get; } = new()
    {
        VocabSize = 50400,
        NPositions = 512,
        NEmbd = 64,
        NLayer = 2,
        NHead = 4,
        RotaryDim = 8,
    };

    public static async Task WriteAsync(string folder, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(folder);
        Gpt2TokenizerFiles.Write(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "config.json"), ConfigJson(), cancellationToken).ConfigureAwait(false);
        var weights = Weights();
        try
        {
            await TorchTensorWriter.WriteStateDictAsync(weights, Path.Combine(folder, ModelFolder.TensorsFile), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var tensor in weights.Values)
            {
                tensor.Dispose();
            }
        }
    }

    /// <summary>Hugging Face's config.json for this model (what the seed's converter copies next to the weights).</summary>
    public static string ConfigJson() => JsonSerializer.Serialize(
        new Dictionary<string, object>
        {
            ["architectures"] = Architectures,
            ["model_type"] = "gptj",
            ["vocab_size"] = Config.VocabSize,
            ["n_positions"] = Config.NPositions,
            ["n_embd"] = Config.NEmbd,
            ["n_layer"] = Config.NLayer,
            ["n_head"] = Config.NHead,
            ["rotary_dim"] = Config.RotaryDim,
            ["n_inner"] = null!,
            ["activation_function"] = Config.ActivationFunction,
            ["layer_norm_epsilon"] = Config.LayerNormEpsilon,
            ["bos_token_id"] = 50256,
            ["eos_token_id"] = 50256,
            ["tie_word_embeddings"] = false,
            ["torch_dtype"] = "float16",
        },
        Indented);

    /// <summary>GPT-2-style initialization from a fixed seed: N(0, 0.02) matrices, small biases, near-unit norms.</summary>
    private static Dictionary<string, Tensor> Weights()
    {
        using var scope = NewDisposeScope(); // intermediates stay referenced, so none is finalized under a native call
        var generator = new TorchSharp.torch.Generator(20240501);
        Tensor Normal(long[] shape, double std) => randn(shape, generator: generator).Times(std).to_type(ScalarType.Float16);
        var (e, inner, vocab) = ((long)Config.NEmbd, (long)Config.InnerDim, (long)Config.VocabSize);
        var weights = new Dictionary<string, Tensor> { ["transformer.wte.weight"] = Normal([vocab, e], 0.02) };
        for (var i = 0; i < Config.NLayer; i++)
        {
            var p = $"transformer.h.{i}.";
            weights[p + "ln_1.weight"] = Normal([e], 0.1).to_type(ScalarType.Float32).Plus(1.0).to_type(ScalarType.Float16);
            weights[p + "ln_1.bias"] = Normal([e], 0.02);
            foreach (var projection in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
            {
                weights[p + $"attn.{projection}.weight"] = Normal([e, e], 0.1);
            }

            weights[p + "mlp.fc_in.weight"] = Normal([inner, e], 0.1);
            weights[p + "mlp.fc_in.bias"] = Normal([inner], 0.02);
            weights[p + "mlp.fc_out.weight"] = Normal([e, inner], 0.05);
            weights[p + "mlp.fc_out.bias"] = Normal([e], 0.02);
        }

        weights["transformer.ln_f.weight"] = Normal([e], 0.1).to_type(ScalarType.Float32).Plus(1.0).to_type(ScalarType.Float16);
        weights["transformer.ln_f.bias"] = Normal([e], 0.02);
        weights["lm_head.weight"] = Normal([vocab, e], 0.3);
        weights["lm_head.bias"] = Normal([vocab], 0.02);
        foreach (var weight in weights.Values)
        {
            weight.DetachFromDisposeScope();
        }

        return weights;
    }
}
