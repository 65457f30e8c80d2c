using Models.Architectures;
using static TorchSharp.torch;

namespace Models.Blocks;

/// <summary>
/// Preallocated keys and values [batch, key/value heads, capacity, head_dim] per layer; forward passes write in
/// place. With grouped-query attention only the key/value heads are stored, not the query heads they serve.
/// </summary>
internal sealed class KeyValueCache : LayerCache, IKeyValueCache
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;

    public KeyValueCache(int layers, int batch, int keyValueHeads, int capacity, int headDim, ScalarType dtype, Device device)
    {
        Capacity = capacity;
        _keys = [.. Enumerable.Range(0, layers).Select(_ => zeros([batch, keyValueHeads, capacity, headDim], dtype, device))];
        _values = [.. Enumerable.Range(0, layers).Select(_ => zeros([batch, keyValueHeads, capacity, headDim], dtype, device))];
    }

    public int Length { get; private set; }

    public int Capacity { get; }

    /// <summary>Writes a layer's new keys and values [batch, kv heads, tokens, head_dim]; returns views of everything cached.</summary>
    public override (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        var tokens = (int)keys.shape[2];
        if (Length + tokens > Capacity)
        {
            throw new InvalidOperationException($"The cache holds {Capacity} tokens; {Length} + {tokens} do not fit.");
        }

        using (var keySlot = _keys[layer].narrow(2, Length, tokens))
        using (var valueSlot = _values[layer].narrow(2, Length, tokens))
        {
            keySlot.copy_(keys);
            valueSlot.copy_(values);
        }

        return (_keys[layer].narrow(2, 0, Length + tokens), _values[layer].narrow(2, 0, Length + tokens));
    }

    /// <summary>Called once per forward pass, after every layer has appended.</summary>
    public void Advance(int tokens) => Length += tokens;

    public void Dispose()
    {
        foreach (var tensor in _keys.Concat(_values))
        {
            tensor.Dispose();
        }
    }
}
