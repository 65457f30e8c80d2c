using System.Text.Json;
using Checkpoints.Builtin;
using Models.Decoders;
using Models.Torch;
using Tensorizer.Torch;
using static TorchSharp.torch;

namespace Models.TinyModel;

/// <summary>A Llama-shaped model of any size with random N(0, 0.02) weights (norms at 1), as a model folder: benchmark input.</summary>
public static class RandomLlama
{
    /// <summary>
    /// 12 layers × 768 with grouped-query attention (12 query heads over 4 key/value heads), SwiGLU 2048 wide, GPT-J's
    /// vocabulary: the size of <see cref="RandomGptj.Medium"/>, so the two compare layer for layer.
    /// </summary>
    public static DecoderConfig Medium { get; } = new()
    {
        ModelType = "llama",
        VocabSize = 50400,
        HiddenSize = 768,
        IntermediateSize = 2048,
        NumHiddenLayers = 12,
        NumAttentionHeads = 12,
        NumKeyValueHeads = 4,
        HeadDim = 64,
        MaxPositionEmbeddings = 2048,
        RmsNormEps = 1e-5,
        RopeTheta = 500000,
        EosTokenIds = [50256],
    };

    public static async Task WriteAsync(string folder, DecoderConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        Directory.CreateDirectory(folder);
        Gpt2TokenizerFiles.Write(folder);
        var json = JsonSerializer.Serialize(new
        {
            model_type = config.ModelType,
            vocab_size = config.VocabSize,
            hidden_size = config.HiddenSize,
            intermediate_size = config.IntermediateSize,
            num_hidden_layers = config.NumHiddenLayers,
            num_attention_heads = config.NumAttentionHeads,
            num_key_value_heads = config.NumKeyValueHeads,
            head_dim = config.HeadDim,
            hidden_act = "silu",
            max_position_embeddings = config.MaxPositionEmbeddings,
            rms_norm_eps = config.RmsNormEps,
            rope_theta = config.RopeTheta,
            tie_word_embeddings = config.TieWordEmbeddings,
            eos_token_id = config.EosTokenIds,
        });
        await File.WriteAllTextAsync(Path.Combine(folder, "config.json"), json, cancellationToken).ConfigureAwait(false);
        using var model = ModuleConstruction.WithoutInit(() => new DecoderForCausalLM(config, ScalarType.Float16));
        manual_seed(0);
        using (no_grad())
        {
            foreach (var (name, parameter) in model.named_parameters())
            {
                if (name.EndsWith("norm.weight", StringComparison.Ordinal))
                {
                    parameter.fill_(Scalars.Of(1.0));
                }
                else
                {
                    parameter.normal_(0, 0.02);
                }
            }
        }

        await TorchTensorWriter.WriteModuleAsync(model, Path.Combine(folder, ModelFolder.TensorsFile), cancellationToken).ConfigureAwait(false);
    }
}
