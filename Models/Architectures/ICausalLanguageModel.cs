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

    /// <summary>Bytes the KV cache takes per token of one sequence (keys and values of every layer).</summary>
    long KeyValueBytesPerToken { get; }

    /// <summary>Room for <paramref name="batch"/> sequences of up to <paramref name="length"/> tokens.</summary>
    IKeyValueCache CreateCache(int batch, int length);

    /// <summary>
    /// Logits [batch, tokens, vocabulary] (float32) for <paramref name="inputIds"/> [batch, tokens] at
    /// <paramref name="positions"/> [batch, tokens], attending to everything cached plus these tokens where
    /// <paramref name="attentionMask"/> [batch, cached + tokens] is 1; the new keys and values are appended to the cache.
    /// With <paramref name="lastTokenOnly"/> only the last token's logits are computed (all generation needs).
    /// </summary>
    Tensor Forward(Tensor inputIds, Tensor positions, Tensor attentionMask, IKeyValueCache cache, bool lastTokenOnly = false);

    /// <summary>
    /// Whether a prompt prefilled in several passes gets the logits of one pass; not with dynamic rope scaling
    /// (the angles follow the pass's length, as in Hugging Face), so the engine prefills such prompts whole.
    /// </summary>
    bool SupportsChunkedPrefill { get; }

    /// <summary>A preallocated pool of <paramref name="pages"/> pages of <paramref name="pageSize"/> tokens, shared by the sequences of a continuous batch.</summary>
    IPagedKeyValueCache CreatePagedCache(int pages, int pageSize);

    /// <summary>
    /// Logits [rows, tokens, vocabulary] (float32) for <paramref name="inputIds"/> [rows, tokens]: row i continues
    /// <paramref name="sequences"/>[i], whose first <see cref="CachedSequence.Cached"/> tokens are in its pages, at
    /// the positions that follow them; each row attends to its own sequence only, and its new keys and values are
    /// written to its pages. Rows may be at different lengths; the caller tracks them.
    /// </summary>
    Tensor Forward(Tensor inputIds, IPagedKeyValueCache cache, IReadOnlyList<CachedSequence> sequences, bool lastTokenOnly = false);

    /// <summary>
    /// One pass over the new tokens of several sequences packed in one row, <paramref name="inputIds"/> [1, Σ
    /// <paramref name="tokens"/>]: sequence i's <paramref name="tokens"/>[i] tokens follow its cached ones, and each
    /// attends to its own sequence only. Every weight is read once for all of them (decodes and prefill chunks alike).
    /// Returns the logits of each sequence's last token [sequences, 1, vocabulary] (float32).
    /// </summary>
    Tensor ForwardPacked(Tensor inputIds, IPagedKeyValueCache cache, IReadOnlyList<CachedSequence> sequences, IReadOnlyList<int> tokens);
}

/// <summary>Keys and values of the tokens seen so far, per layer.</summary>
public interface IKeyValueCache : IDisposable
{
    /// <summary>Tokens cached per sequence.</summary>
    int Length { get; }

    int Capacity { get; }
}

/// <summary>A pool of KV cache pages that sequences own a few of each (see <see cref="ICausalLanguageModel.CreatePagedCache"/>).</summary>
public interface IPagedKeyValueCache : IDisposable
{
    int Pages { get; }

    int PageSize { get; }

    /// <summary>The pool's memory, keys and values of every layer.</summary>
    long Bytes { get; }
}

/// <summary>One sequence of a paged forward pass: the pages it owns, in order, and how many of its tokens they hold.</summary>
public sealed record CachedSequence(IReadOnlyList<int> Pages, int Cached);
