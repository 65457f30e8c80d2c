using static TorchSharp.torch;

namespace Models.Blocks;

/// <summary>What a layer's attention sees of a forward pass's cache: it writes its new keys and values, and reads everything it may attend to.</summary>
internal abstract class LayerCache
{
    /// <summary>
    /// Writes a layer's new keys and values [batch, kv heads, tokens, head_dim]; returns the keys and values each
    /// row attends to [batch, kv heads, length, head_dim] (this pass's included), in the caller's dispose scope.
    /// </summary>
    public abstract (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values);
}
