using Models.Blocks;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.Decoders;

/// <summary>The trunk: token embedding, the layers, the final norm (HF's <c>LlamaModel</c>, <c>Qwen2Model</c>, …).</summary>
internal sealed class DecoderModel : Module
{
#pragma warning disable IDE1006, CA1051, SA1307 // Field names are the Hugging Face parameter names.
    public readonly Embedding embed_tokens;
    public readonly ModuleList<DecoderLayer> layers;
    public readonly RmsNorm norm;
#pragma warning restore IDE1006, CA1051, SA1307

    public DecoderModel(DecoderConfig config, ScalarType dtype) : base("model")
    {
        embed_tokens = Embeddings.Create(config.VocabSize, config.HiddenSize, dtype);
        layers = new ModuleList<DecoderLayer>([.. Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new DecoderLayer(config, dtype))]);
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype);
        RegisterComponents();
    }
}
