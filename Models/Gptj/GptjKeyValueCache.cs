using Models.Architectures;
using static TorchSharp.torch;

namespace Models.Gptj;

/// <summary>Preallocated keys and values [batch, heads, capacity, head_dim] per layer; forward passes write in place.</summary>
internal sealed class GptjKeyValueCache : IKeyValueCache
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;

    public GptjKeyValueCache(GptjConfig config, int batch, int capacity, ScalarType dtype, Device device)
    {
        Capacity = capacity;
        _keys = [.. Enumerable.Range(0, config.NLayer).Select(_ => zeros([batch, config.NHead, capacity, config.HeadDim], dtype, device))];
        _values = [.. Enumerable.Range(0, config.NLayer).Select(_ => zeros([batch, config.NHead, capacity, config.HeadDim], dtype, device))];
    }

    public int Length { get; private set; }

    public int Capacity { get; }

    /// <summary>Writes a layer's new keys and values [batch, heads, tokens, head_dim]; returns views of everything cached.</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
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
