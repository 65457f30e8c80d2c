using System.Buffers.Binary;

namespace Tensorizer.Format;

/// <summary>
/// The header block of upstream's 3.0 development layout: every tensor header after the index and before the
/// first tensor's data, each starting with its own &lt;Q size. Upstream reads them in offset order and refuses a
/// header that starts before the previous one ends; here each must also end before any data begins.
/// </summary>
public static class HeaderBlockLayout
{
    /// <summary>Bytes from the first header to the first data byte: one read covers every header.</summary>
    public static (long Start, long Length) Span(TensorIndex index)
    {
        ArgumentNullException.ThrowIfNull(index);
        var start = index.Min(e => e.HeaderOffset);
        var end = index.Where(e => e.DataLength > 0).Select(e => e.DataOffset).DefaultIfEmpty(index.Max(e => e.DataOffset)).Min();
        return (start, end - start);
    }

    /// <summary>Reads each header's size from the block and returns the index with those lengths.</summary>
    public static TensorIndex Measure(TensorIndex index, ReadOnlySpan<byte> block, long blockStart)
    {
        ArgumentNullException.ThrowIfNull(index);
        var lengths = new long[index.Count];
        for (var i = 0; i < index.Count; i++)
        {
            var entry = index[i];
            var at = entry.HeaderOffset - blockStart;
            if (at < 0 || at > block.Length - sizeof(ulong))
            {
                throw new TensorizerFormatException(
                    $"Tensor '{entry.Name}': header at {entry.HeaderOffset} is outside the header block {blockStart}..{blockStart + block.Length}.");
            }

            var size = BinaryPrimitives.ReadUInt64LittleEndian(block[(int)at..]);
            if (size < sizeof(ulong) || size > (ulong)Math.Min(TensorIndex.MaxHeaderLength, block.Length - at))
            {
                throw new TensorizerFormatException(
                    $"Tensor '{entry.Name}': header at {entry.HeaderOffset} claims {size} bytes, which do not fit in the header block before the data at {blockStart + block.Length}.");
            }

            lengths[i] = (long)size;
        }

        return index.WithHeaderLengths(lengths);
    }
}
