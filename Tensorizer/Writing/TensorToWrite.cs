using Tensorizer.Format;

namespace Tensorizer.Writing;

/// <summary>
/// One tensor for the writer: what the index says about it and, except for meta tensors, its bytes as one or more
/// memory segments (a tensor over 2 GiB is several), given up front (<see cref="Data"/>) or produced when the
/// writer reaches the tensor (<see cref="DataSource"/>, so a conversion holds one tensor at a time). The writer
/// enumerates the segments twice: hash, then write.
/// </summary>
public sealed record TensorToWrite(
    TensorName Name,
    TensorKind Kind,
    TensorDtype Dtype,
    IReadOnlyList<long> Shape,
    IReadOnlyList<ReadOnlyMemory<byte>>? Data,
    ushort ModuleIndex = 0)
{
    /// <summary>Produces the bytes when the writer reaches this tensor; they are dropped once written.</summary>
    public Func<IReadOnlyList<ReadOnlyMemory<byte>>>? DataSource { get; init; }

    /// <summary>A meta tensor (format v4): shape and dtype only; readers load it as zeros.</summary>
    public bool IsMeta => Data is null && DataSource is null;

    public long ElementCount => Shape.Aggregate(1L, (product, dim) => checked(product * dim));

    public long DataLength => IsMeta ? 0 : ElementCount * Dtype.ElementSize;

    /// <summary>A state-dict tensor from one contiguous buffer.</summary>
    public static TensorToWrite StateDict(string name, TensorElementType type, IReadOnlyList<long> shape, ReadOnlyMemory<byte> data) =>
        new(TensorName.Plain(name), TensorKind.StateDict, TensorDtype.For(type), shape, [data]);

    /// <summary>
    /// A state-dict tensor whose bytes are produced only when written (bounded-memory conversions). The writer calls
    /// the next tensor's source, on another thread, while it writes this one: bytes a source returns must stay valid
    /// until the source after the next one is called (two buffers, alternating, suffice).
    /// </summary>
    public static TensorToWrite Deferred(string name, TensorElementType type, IReadOnlyList<long> shape, Func<IReadOnlyList<ReadOnlyMemory<byte>>> source) =>
        new(TensorName.Plain(name), TensorKind.StateDict, TensorDtype.For(type), shape, null) { DataSource = source };

    /// <summary>The bytes: given, or produced now.</summary>
    internal IReadOnlyList<ReadOnlyMemory<byte>> ResolveData()
    {
        var data = Data ?? DataSource?.Invoke() ?? [];
        var supplied = data.Sum(s => (long)s.Length);
        return supplied == DataLength
            ? data
            : throw new ArgumentException(
                $"Tensor '{Name}': {supplied} data bytes supplied, {Dtype} [{string.Join(", ", Shape)}] needs {DataLength}.");
    }

    /// <summary>A meta tensor: no data on disk; loads as zeros of this shape.</summary>
    public static TensorToWrite Meta(string name, TensorKind kind, TensorElementType type, IReadOnlyList<long> shape) =>
        new(TensorName.Plain(name), kind, TensorDtype.For(type), shape, null);
}
