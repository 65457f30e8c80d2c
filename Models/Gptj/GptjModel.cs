using Models.Blocks;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.Gptj;

/// <summary>The transformer trunk: token embedding, the blocks, the final layer norm (HF's <c>GPTJModel</c>).</summary>
internal sealed class GptjModel : Module
{
#pragma warning disable IDE1006, CA1051, SA1307 // Field names are the Hugging Face parameter names.
    public readonly Embedding wte;
    public readonly ModuleList<GptjBlock> h;
    public readonly LayerNorm ln_f;
#pragma warning restore IDE1006, CA1051, SA1307

    public GptjModel(GptjConfig config, ScalarType dtype) : base("transformer")
    {
        wte = Embeddings.Create(config.VocabSize, config.NEmbd, dtype);
        h = new ModuleList<GptjBlock>([.. Enumerable.Range(0, config.NLayer).Select(_ => new GptjBlock(config, dtype))]);
        ln_f = LayerNorm(config.NEmbd, config.LayerNormEpsilon, dtype: dtype);
        RegisterComponents();
    }
}
