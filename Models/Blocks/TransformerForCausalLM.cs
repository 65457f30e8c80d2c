using Models.Architectures;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.Blocks;

/// <summary>What every layer of one forward pass shares: the mask, the rotary angles, the cache, and which layer it is.</summary>
internal readonly record struct LayerInputs(Tensor Mask, RotaryEmbedding Rotary, RotaryAngles Angles, LayerCache Cache, int Layer)
{
    /// <summary>Rotates queries or keys [batch, tokens, heads, head_dim] to this pass's positions.</summary>
    public Tensor Rotate(Tensor x) => Rotary.Apply(x, Angles);
}

/// <summary>
/// The forward pass every family shares: the additive mask and the rotary angles once per pass, the token
/// embedding, the layers over the KV cache, and the final norm and head (only on the last token when that is all
/// generation needs). A family supplies its modules, named as Hugging Face names them, and one layer's step.
/// </summary>
public abstract class TransformerForCausalLM : Module, ICausalLanguageModel
{
    private RotaryEmbedding? _rotary;

    private protected TransformerForCausalLM(string name, ScalarType dtype) : base(name)
    {
        Dtype = dtype;
    }

    public abstract ModelConfig Config { get; }

    public abstract Device Device { get; }

    public ScalarType Dtype { get; }

    private protected abstract int LayerCount { get; }

    private protected abstract int KeyValueHeads { get; }

    private protected abstract int HeadDim { get; }

    /// <summary>Keys further back than this are not attended to (Mistral); null attends to the whole context.</summary>
    private protected virtual int? SlidingWindow => null;

    /// <summary>Bytes the KV cache takes per token of one sequence (keys and values of every layer's key/value heads).</summary>
    public long KeyValueBytesPerToken => 2L * LayerCount * KeyValueHeads * HeadDim * (Dtype switch
    {
        ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Float64 => 8,
        _ => 4,
    });

    public IKeyValueCache CreateCache(int batch, int length) => new KeyValueCache(LayerCount, batch, KeyValueHeads, length, HeadDim, Dtype, Device);

    public Tensor Forward(Tensor inputIds, Tensor positions, Tensor attentionMask, IKeyValueCache cache, bool lastTokenOnly = false)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(attentionMask);
        var kv = cache as KeyValueCache ?? throw new ArgumentException("The cache must come from this model's CreateCache.", nameof(cache));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = (int)inputIds.shape[1];
        var mask = Attention.AdditiveMask(attentionMask.to(Device), kv.Length, tokens, SlidingWindow);
        var logits = Run(inputIds, positions.to(Device), mask, kv, lastTokenOnly, perRow: false);
        kv.Advance(tokens);
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>False with dynamic rope scaling, whose angles follow the length of the pass that prefills the prompt.</summary>
    public bool SupportsChunkedPrefill => !(_rotary ??= CreateRotary()).DependsOnLength;

    public IPagedKeyValueCache CreatePagedCache(int pages, int pageSize) => new PagedKeyValueCache(LayerCount, pages, pageSize, KeyValueHeads, HeadDim, Dtype, Device);

    public Tensor Forward(Tensor inputIds, IPagedKeyValueCache cache, IReadOnlyList<CachedSequence> sequences, bool lastTokenOnly = false)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(sequences);
        var paged = cache as PagedKeyValueCache ?? throw new ArgumentException("The cache must come from this model's CreatePagedCache.", nameof(cache));
        var (rows, tokens) = ((int)inputIds.shape[0], (int)inputIds.shape[1]);
        if (rows != sequences.Count || rows == 0)
        {
            throw new ArgumentException($"{rows} rows of tokens for {sequences.Count} sequences.", nameof(sequences));
        }

        // Every row's slots: where its new tokens go, and where all it attends to is (padded to the longest row).
        var length = sequences.Max(s => s.Cached) + tokens;
        var positions = new long[rows, tokens];
        var writeSlots = new long[rows * tokens];
        var readSlots = new long[rows * length];
        var cached = new int[rows];
        for (var row = 0; row < rows; row++)
        {
            var sequence = sequences[row];
            cached[row] = sequence.Cached;
            for (var t = 0; t < tokens; t++)
            {
                positions[row, t] = sequence.Cached + t;
                writeSlots[(row * tokens) + t] = paged.SlotOf(sequence.Pages, sequence.Cached + t);
            }

            for (var j = 0; j < sequence.Cached + tokens; j++)
            {
                readSlots[(row * length) + j] = paged.SlotOf(sequence.Pages, j);
            }
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var step = new PagedStep(paged, tensor(writeSlots).to(Device), tensor(readSlots).to(Device), rows, length);
        var mask = Attention.RaggedMask(cached, tokens, length, SlidingWindow, Device);
        return Run(inputIds, tensor(positions).to(Device), mask, step, lastTokenOnly, perRow: true).MoveToOuterDisposeScope();
    }

    public Tensor ForwardPacked(Tensor inputIds, IPagedKeyValueCache cache, IReadOnlyList<CachedSequence> sequences, IReadOnlyList<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentNullException.ThrowIfNull(tokens);
        var paged = cache as PagedKeyValueCache ?? throw new ArgumentException("The cache must come from this model's CreatePagedCache.", nameof(cache));
        var count = tokens.Sum();
        if (sequences.Count == 0 || sequences.Count != tokens.Count || inputIds.shape[0] != 1 || inputIds.shape[1] != count || tokens.Any(t => t < 1))
        {
            throw new ArgumentException($"{inputIds.shape[1]} packed tokens for {sequences.Count} sequences of {string.Join(", ", tokens)}.", nameof(tokens));
        }

        // One row of every sequence's new tokens; the keys are every sequence's own, one after another.
        var length = sequences.Select((s, i) => s.Cached + tokens[i]).Sum();
        var positions = new long[1, count];
        var writeSlots = new long[count];
        var readSlots = new long[length];
        var last = new long[sequences.Count];
        var segments = new (int Token, int Key, int Cached, int Tokens)[sequences.Count];
        var (token, key) = (0, 0);
        for (var i = 0; i < sequences.Count; i++)
        {
            var sequence = sequences[i];
            segments[i] = (token, key, sequence.Cached, tokens[i]);
            for (var t = 0; t < tokens[i]; t++)
            {
                positions[0, token + t] = sequence.Cached + t;
                writeSlots[token + t] = paged.SlotOf(sequence.Pages, sequence.Cached + t);
            }

            for (var j = 0; j < sequence.Cached + tokens[i]; j++)
            {
                readSlots[key + j] = paged.SlotOf(sequence.Pages, j);
            }

            token += tokens[i];
            key += sequence.Cached + tokens[i];
            last[i] = token - 1;
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var step = new PagedStep(paged, tensor(writeSlots).to(Device), tensor(readSlots).to(Device), 1, length);
        var mask = Attention.PackedMask(segments, count, length, SlidingWindow, Device);
        return Run(inputIds, tensor(positions).to(Device), mask, step, lastTokenOnly: false, perRow: false, pick: tensor(last).to(Device))
            .transpose(0, 1).MoveToOuterDisposeScope();
    }

    /// <summary>The layers over <paramref name="cache"/>, in the caller's dispose scope and no_grad.</summary>
    private Tensor Run(Tensor inputIds, Tensor positions, Tensor mask, LayerCache cache, bool lastTokenOnly, bool perRow, Tensor? pick = null)
    {
        var tokens = (int)inputIds.shape[1];
        _rotary ??= CreateRotary();
        var angles = _rotary.Angles(positions, perRow);
        var hidden = Embed(inputIds.to(Device));
        for (var layer = 0; layer < LayerCount; layer++)
        {
            hidden = Layer(hidden, new LayerInputs(mask, _rotary, angles, cache, layer));
        }

        if (lastTokenOnly)
        {
            hidden = hidden.narrow(1, tokens - 1, 1);
        }
        else if (pick is not null)
        {
            hidden = hidden.index_select(1, pick);
        }

        return Logits(hidden).to_type(ScalarType.Float32);
    }

    private protected abstract RotaryEmbedding CreateRotary();

    /// <summary>Token embeddings [batch, tokens, hidden].</summary>
    private protected abstract Tensor Embed(Tensor inputIds);

    /// <summary>One layer: reads and extends the cache at <see cref="LayerInputs.Layer"/>.</summary>
    private protected abstract Tensor Layer(Tensor hidden, LayerInputs inputs);

    /// <summary>The final norm and the language-model head.</summary>
    private protected abstract Tensor Logits(Tensor hidden);
}
