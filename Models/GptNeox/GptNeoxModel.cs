using Models.Blocks;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.GptNeox;

/// <summary>The trunk (HF's <c>GPTNeoXModel</c>): embed_in, the layers, final_layer_norm.</summary>
internal sealed class GptNeoxModel : Module
{
#pragma warning disable IDE1006, CA1051, SA1307 // Field names are the Hugging Face parameter names.
    public readonly Embedding embed_in;
    public readonly ModuleList<GptNeoxLayer> layers;
    public readonly LayerNorm final_layer_norm;
#pragma warning restore IDE1006, CA1051, SA1307

    public GptNeoxModel(GptNeoxConfig config, ScalarType dtype) : base("gpt_neox")
    {
        embed_in = Embeddings.Create(config.VocabSize, config.HiddenSize, dtype);
        layers = new ModuleList<GptNeoxLayer>([.. Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new GptNeoxLayer(config, dtype))]);
        final_layer_norm = LayerNorm(config.HiddenSize, config.LayerNormEps, dtype: dtype);
        RegisterComponents();
    }
}
