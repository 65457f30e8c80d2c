using Models.Torch;
using static TorchSharp.torch;

namespace Models.Blocks;

/// <summary>
/// Scaled dot-product attention over the KV cache, shared by every family: causal and padding mask (and a sliding
/// window where a family has one), grouped-query attention, scores and softmax in float32 whatever the weights'
/// dtype (as Hugging Face's eager attention).
/// </summary>
internal static class Attention
{
    // Large but finite: a row that is all masked (a left-padding query) stays finite instead of NaN.
    private const float Masked = -1e30f;

    /// <summary>
    /// [batch, 1, tokens, cached + tokens]: 0 where a query may attend, very negative elsewhere. Query i sits at
    /// cache index cached + i; it sees keys at or before it whose <paramref name="attentionMask"/> [batch, ≥ cached +
    /// tokens] is 1 and, with a <paramref name="slidingWindow"/>, fewer than that many indices back (itself included),
    /// as Hugging Face's sliding-window mask (kv_idx &gt; q_idx − window). Padding is only ever on the left, so cache
    /// index distances are position distances.
    /// </summary>
    public static Tensor AdditiveMask(Tensor attentionMask, int cached, int tokens, int? slidingWindow = null)
    {
        using var scope = NewDisposeScope();
        var total = cached + tokens;
        var causal = ones(tokens, total, ScalarType.Bool, attentionMask.device).tril(cached);
        if (slidingWindow is { } window && total > window)
        {
            causal = causal.triu(cached - window + 1);
        }

        var allowed = causal.unsqueeze(0).logical_and(attentionMask.narrow(1, 0, total).to_type(ScalarType.Bool).unsqueeze(1)); // [batch, tokens, total]
        return zeros([allowed.shape[0], tokens, total], ScalarType.Float32, attentionMask.device)
            .masked_fill_(allowed.logical_not(), Scalars.Of(Masked))
            .unsqueeze(1)
            .MoveToOuterDisposeScope();
    }

    /// <summary>
    /// [rows, 1, tokens, length] for rows that each continue their own sequence (a paged forward pass): row b's
    /// query t sits at position <paramref name="cached"/>[b] + t and sees its sequence's keys at or before it (and,
    /// with a <paramref name="slidingWindow"/>, fewer than that many back); key slots past the row's own tokens
    /// (the padding up to the longest row) are masked.
    /// </summary>
    public static Tensor RaggedMask(IReadOnlyList<int> cached, int tokens, int length, int? slidingWindow, Device device)
    {
        var rows = cached.Count;
        var mask = new float[(long)rows * tokens * length];
        for (var b = 0; b < rows; b++)
        {
            for (var t = 0; t < tokens; t++)
            {
                var query = cached[b] + t;
                var from = slidingWindow is { } window ? Math.Max(0, query - window + 1) : 0;
                var offset = ((long)b * tokens + t) * length;
                for (var j = 0; j < length; j++)
                {
                    mask[offset + j] = j >= from && j <= query ? 0f : Masked;
                }
            }
        }

        using var scope = NewDisposeScope();
        return tensor(mask, [rows, 1, tokens, length]).to(device).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// [1, 1, tokens, length] for a packed pass: <paramref name="segments"/> give each sequence's first token and first
    /// key in the packed row, its cached length and its new tokens; a token sees its own sequence's keys at or before
    /// its position (within a <paramref name="slidingWindow"/>), nothing of the others.
    /// </summary>
    public static Tensor PackedMask(IReadOnlyList<(int Token, int Key, int Cached, int Tokens)> segments, int tokens, int length, int? slidingWindow, Device device)
    {
        var mask = new float[(long)tokens * length];
        Array.Fill(mask, Masked);
        foreach (var (token, key, cached, count) in segments)
        {
            for (var t = 0; t < count; t++)
            {
                var query = cached + t;
                var from = slidingWindow is { } window ? Math.Max(0, query - window + 1) : 0;
                Array.Fill(mask, 0f, (int)(((long)(token + t) * length) + key + from), query - from + 1);
            }
        }

        using var scope = NewDisposeScope();
        return tensor(mask, [1, 1, tokens, length]).to(device).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// softmax(q·kᵀ/√d + mask)·v. <paramref name="queries"/> [batch, heads, tokens, head_dim]; <paramref name="keys"/>
    /// and <paramref name="values"/> [batch, kv heads, cached + tokens, head_dim], each serving heads / kv heads
    /// consecutive query heads (Hugging Face's repeat_kv), without copying them per query head; <paramref name="mask"/>
    /// from <see cref="AdditiveMask"/>. Returns [batch, tokens, heads × head_dim].
    /// </summary>
    public static Tensor Compute(Tensor queries, Tensor keys, Tensor values, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var (batch, heads, tokens, headDim) = (queries.shape[0], queries.shape[1], queries.shape[2], queries.shape[3]);
        var (keyValueHeads, total) = (keys.shape[1], keys.shape[2]);
        var group = heads / keyValueHeads;
        var q = queries.to_type(ScalarType.Float32);
        var k = keys.to_type(ScalarType.Float32);
        Tensor merged;
        if (group == 1)
        {
            var scores = q.matmul(k.transpose(-1, -2)).DividedBy(Math.Sqrt(headDim));
            var weights = scores.Plus(mask).softmax(-1).to_type(values.dtype);
            merged = weights.matmul(values);
        }
        else
        {
            // The group's query heads stacked as one long query per kv head: [batch, kv heads, group × tokens, head_dim].
            var grouped = q.reshape(batch, keyValueHeads, group * tokens, headDim);
            var scores = grouped.matmul(k.transpose(-1, -2)).DividedBy(Math.Sqrt(headDim)).view(batch, keyValueHeads, group, tokens, total);
            var weights = scores.Plus(mask.unsqueeze(1)).softmax(-1).to_type(values.dtype).view(batch, keyValueHeads, group * tokens, total);
            merged = weights.matmul(values).view(batch, heads, tokens, headDim);
        }

        return merged.transpose(1, 2).reshape(batch, tokens, heads * headDim).MoveToOuterDisposeScope();
    }
}
