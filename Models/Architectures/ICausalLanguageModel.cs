using static TorchSharp.torch;

namespace Models.Architectures;

/// <summary>
/// A decoder-only model as the generation engine drives it: a forward pass over new tokens that reads and extends
/// a key/value cache. Every architecture implements this; sampling, batching and streaming are shared.
/// </summary>
public interface ICausalLanguageModel : IDisposable
{
    ModelConfig Config { get; }

    Device Device { get; }

    ScalarType Dtype { get; }

    /// <summary>Room for <paramref name="batch"/> sequences of up to <paramref name="length"/> tokens.</summary>
    IKeyValueCache CreateCache(int batch, int length);

    /// <summary>
    /// Logits [batch, tokens, vocabulary] (float32) for <paramref name="inputIds"/> [batch, tokens] at
    /// <paramref name="positions"/> [batch, tokens], attending to everything cached plus these tokens where
    /// <paramref name="attentionMask"/> [batch, cached + tokens] is 1; the new keys and values are appended to the cache.
    /// With <paramref name="lastTokenOnly"/> only the last token's logits are computed (all generation needs).
    /// </summary>
    Tensor Forward(Tensor inputIds, Tensor positions, Tensor attentionMask, IKeyValueCache cache, bool lastTokenOnly = false);
}

/// <summary>Keys and values of the tokens seen so far, per layer.</summary>
public interface IKeyValueCache : IDisposable
{
    /// <summary>Tokens cached per sequence.</summary>
    int Length { get; }

    int Capacity { get; }
}
