using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.Blocks;

internal static class Embeddings
{
    /// <summary>
    /// A [vocabulary, width] embedding without initialization: TorchSharp's Embedding initializes natively even on
    /// meta, so a 1×1 one gets its weight swapped, which costs nothing.
    /// </summary>
    public static Embedding Create(long vocabulary, long width, ScalarType dtype)
    {
        var embedding = Embedding(1, 1, dtype: dtype);
        embedding.weight = new Parameter(empty([vocabulary, width], dtype), requires_grad: false);
        return embedding;
    }
}
