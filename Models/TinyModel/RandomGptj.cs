using System.Text.Json;
using Checkpoints.Builtin;
using Models.Gptj;
using Tensorizer.Torch;
using static TorchSharp.torch;

namespace Models.TinyModel;

/// <summary>A GPT-J of any shape with random N(0, 0.02) weights, as a model folder: benchmark input at realistic sizes.</summary>
public static class RandomGptj
{
    /// <summary>GPT-J-shaped, 12 layers × 768 (GPT-2 small's size): big enough for compute to dominate on a CPU.</summary>
    public static GptjConfig Medium { get; } = new() { NLayer = 12, NEmbd = 768, NHead = 12, RotaryDim = 64, NPositions = 2048 };

    public static async Task WriteAsync(string folder, GptjConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        Directory.CreateDirectory(folder);
        Gpt2TokenizerFiles.Write(folder);
        var json = JsonSerializer.Serialize(new
        {
            model_type = "gptj",
            vocab_size = config.VocabSize,
            n_positions = config.NPositions,
            n_embd = config.NEmbd,
            n_layer = config.NLayer,
            n_head = config.NHead,
            rotary_dim = config.RotaryDim,
            activation_function = config.ActivationFunction,
            layer_norm_epsilon = config.LayerNormEpsilon,
            eos_token_id = config.EosTokenId,
        });
        await File.WriteAllTextAsync(Path.Combine(folder, "config.json"), json, cancellationToken).ConfigureAwait(false);
        using var model = ModuleConstruction.WithoutInit(() => new GptjForCausalLM(config, ScalarType.Float16));
        manual_seed(0);
        using (no_grad())
        {
            foreach (var (_, parameter) in model.named_parameters())
            {
                parameter.normal_(0, 0.02);
            }
        }

        await TorchTensorWriter.WriteModuleAsync(model, Path.Combine(folder, ModelFolder.TensorsFile), cancellationToken).ConfigureAwait(false);
    }
}
