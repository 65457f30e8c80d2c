using Models.Architectures;
using static TorchSharp.torch;

namespace Models.Blocks;

/// <summary>
/// The continuous-batching cache: per layer, a preallocated pool of <c>pages × page size</c> token slots, each
/// [key/value heads, head_dim], for keys and for values. A sequence owns the pages its page table lists, in order:
/// its token at position p lives in slot <c>pages[p / page size] × page size + p % page size</c>. Pages are handed
/// out and taken back by the engine; the pool itself never grows.
/// </summary>
internal sealed class PagedKeyValueCache : IPagedKeyValueCache
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;

    public PagedKeyValueCache(int layers, int pages, int pageSize, int keyValueHeads, int headDim, ScalarType dtype, Device device)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pages, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        Pages = pages;
        PageSize = pageSize;
        var slots = (long)pages * pageSize;
        _keys = [.. Enumerable.Range(0, layers).Select(_ => zeros([slots, keyValueHeads, headDim], dtype, device))];
        _values = [.. Enumerable.Range(0, layers).Select(_ => zeros([slots, keyValueHeads, headDim], dtype, device))];
        Bytes = 2L * layers * slots * keyValueHeads * headDim * _keys[0].element_size();
    }

    public int Pages { get; }

    public int PageSize { get; }

    public long Bytes { get; }

    /// <summary>The pool slot of <paramref name="position"/> in a sequence with <paramref name="pages"/>.</summary>
    public long SlotOf(IReadOnlyList<int> pages, int position)
    {
        var page = position / PageSize;
        if (page >= pages.Count)
        {
            throw new InvalidOperationException($"Position {position} is beyond the {pages.Count} pages of {PageSize} tokens this sequence holds.");
        }

        if ((uint)pages[page] >= (uint)Pages)
        {
            throw new InvalidOperationException($"Page {pages[page]} is not one of the cache's {Pages}.");
        }

        return ((long)pages[page] * PageSize) + (position % PageSize);
    }

    public Tensor Keys(int layer) => _keys[layer];

    public Tensor Values(int layer) => _values[layer];

    public void Dispose()
    {
        foreach (var tensor in _keys.Concat(_values))
        {
            tensor.Dispose();
        }
    }
}

/// <summary>
/// One forward pass over a <see cref="PagedKeyValueCache"/>: rows of new tokens, each continuing its own sequence.
/// A layer scatters its new keys and values into their slots and gathers each row's keys from its own pages,
/// [rows, kv heads, length, head_dim]; slots past a row's own tokens are whatever is there, and the mask hides them.
/// </summary>
internal sealed class PagedStep(PagedKeyValueCache cache, Tensor writeSlots, Tensor readSlots, int rows, int length) : LayerCache
{
    public override (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        var (heads, headDim) = (keys.shape[1], keys.shape[3]);
        var pool = (Keys: cache.Keys(layer), Values: cache.Values(layer));
        pool.Keys.index_copy_(0, writeSlots, keys.transpose(1, 2).reshape(-1, heads, headDim));
        pool.Values.index_copy_(0, writeSlots, values.transpose(1, 2).reshape(-1, heads, headDim));
        return (
            pool.Keys.index_select(0, readSlots).view(rows, length, heads, headDim).transpose(1, 2),
            pool.Values.index_select(0, readSlots).view(rows, length, heads, headDim).transpose(1, 2));
    }
}
