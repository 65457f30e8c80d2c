using System.Buffers.Binary;
using Tensorizer.Format;

namespace Tensorizer.Reading;

/// <summary>
/// Accounts for every byte of an open file without reading tensor data: the header's size slots agree with the
/// index, the index is followed only by zero padding, tensor headers and data tile the space from the end of the
/// metadata block without gaps or overlaps, and after the last tensor comes the terminator, or nothing (files
/// written before we wrote it). Opening checks each entry on its own; this catches what only the whole shows, such
/// as a tensor count lowered by one (the last tensor silently dropped) or bytes appended to the file.
/// </summary>
public static class FileAccounting
{
    private const int DataSizeSlot = 41;
    private const int UnusedSlot = 49;

    /// <summary>Enough of the bytes after the last tensor to name a tensor header found there.</summary>
    private const int TailSniffLength = 4096;

    public static async Task<FileAccount> CheckAsync(TensorFile file, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        var unaccounted = new List<UnaccountedBytes>();

        var prologue = new byte[FileHeader.Size];
        await file.Source.ReadAsync(0, prologue, cancellationToken).ConfigureAwait(false);
        CheckSlots(prologue, file, unaccounted);

        var metadata = new byte[file.Header.MetadataSize];
        await file.Source.ReadAsync(FileHeader.MetadataOffset, metadata, cancellationToken).ConfigureAwait(false);
        CheckPadding(metadata, file.Index, unaccounted);

        var dataStart = FileHeader.MetadataOffset + (long)file.Header.MetadataSize;
        var gaps = new List<UnaccountedBytes>();
        var (end, last) = CheckTensors(file.Index, dataStart, unaccounted, gaps);
        await CheckGapsAsync(file, gaps, unaccounted, cancellationToken).ConfigureAwait(false);
        var hasTerminator = await CheckTailAsync(file.Source, end, last, unaccounted, cancellationToken).ConfigureAwait(false);
        return new FileAccount(file.Source.Length, hasTerminator, [.. unaccounted.OrderBy(u => u.Offset)]);
    }

    /// <summary>Every release writes the data total at 41 and leaves 49 zero (see <see cref="Writing.TensorWriter"/>).</summary>
    private static void CheckSlots(ReadOnlySpan<byte> prologue, TensorFile file, List<UnaccountedBytes> unaccounted)
    {
        var dataSize = BinaryPrimitives.ReadUInt64LittleEndian(prologue[DataSizeSlot..]);
        if (dataSize != (ulong)file.Index.DataBytes)
        {
            unaccounted.Add(new(DataSizeSlot, 8,
                $"the header's data-size slot holds {dataSize}, but the {file.Index.Count} indexed tensors hold {file.Index.DataBytes} bytes of data"));
        }

        var unused = BinaryPrimitives.ReadUInt64LittleEndian(prologue[UnusedSlot..]);
        if (unused != 0)
        {
            unaccounted.Add(new(UnusedSlot, 8, $"the header's unused slot holds {unused}; every writer leaves it zero"));
        }
    }

    /// <summary>Writers zero the metadata block past the last entry; anything there is an entry the count leaves out.</summary>
    private static void CheckPadding(ReadOnlySpan<byte> metadata, TensorIndex index, List<UnaccountedBytes> unaccounted)
    {
        var used = index.EncodedLength;
        var padding = metadata[(int)used..];
        var first = padding.IndexOfAnyExcept((byte)0);
        if (first < 0)
        {
            return;
        }

        var last = padding.LastIndexOfAnyExcept((byte)0);
        unaccounted.Add(new(FileHeader.MetadataOffset + used + first, last - first + 1,
            $"the metadata block holds non-zero bytes after the {index.Count} entries the header counts; the tensor count may be too low"));
    }

    /// <summary>Walks headers and data in file order from the end of the metadata block; returns where the last one ends.</summary>
    private static (long End, TensorEntry? Last) CheckTensors(
        TensorIndex index, long dataStart, List<UnaccountedBytes> unaccounted, List<UnaccountedBytes> gaps)
    {
        var regions = index
            .SelectMany(e => new[] { (Start: e.HeaderOffset, End: e.HeaderEnd, What: $"the header of '{e.Name}'", Entry: e), (Start: e.DataOffset, End: e.DataEnd, What: $"the data of '{e.Name}'", Entry: e) })
            .Where(r => r.End > r.Start)
            .OrderBy(r => r.Start)
            .ThenBy(r => r.End);
        var cursor = dataStart;
        var previous = "the metadata block";
        TensorEntry? last = null;
        foreach (var region in regions)
        {
            if (region.Start > cursor)
            {
                gaps.Add(new(cursor, region.Start - cursor, $"between {previous} and {region.What}, not part of any indexed tensor"));
            }
            else if (region.Start < cursor)
            {
                unaccounted.Add(new(region.Start, Math.Min(cursor, region.End) - region.Start, $"{region.What} overlaps {previous}"));
            }

            if (region.End >= cursor)
            {
                cursor = region.End;
                previous = region.What;
                last = region.Entry;
            }
        }

        return (cursor, last);
    }

    /// <summary>
    /// Headers in front of their data leave no gaps. A header block's writer leaves zeros: room for more headers,
    /// data aligned to 4096 bytes, then each tensor to 8; only zeros may fill such gaps.
    /// </summary>
    private static async Task CheckGapsAsync(
        TensorFile file, List<UnaccountedBytes> gaps, List<UnaccountedBytes> unaccounted, CancellationToken cancellationToken)
    {
        foreach (var gap in gaps)
        {
            if (!file.Index.HeaderBlock || gap.Length > MaxPaddingLength)
            {
                unaccounted.Add(gap);
                continue;
            }

            var bytes = new byte[gap.Length];
            await file.Source.ReadAsync(gap.Offset, bytes, cancellationToken).ConfigureAwait(false);
            if (bytes.AsSpan().ContainsAnyExcept((byte)0))
            {
                unaccounted.Add(gap with { Reason = $"{gap.Reason}, and not zero padding" });
            }
        }
    }

    /// <summary>Far above what a header block's writer pads (its slack is 1 KiB per spare header, 4 KiB alignment).</summary>
    private const long MaxPaddingLength = TensorFile.MaxMetadataSize;

    /// <summary>After the last tensor: the terminator, or nothing; returns whether the terminator is there.</summary>
    private static async Task<bool> CheckTailAsync(
        Sources.IRangeSource source, long end, TensorEntry? last, List<UnaccountedBytes> unaccounted, CancellationToken cancellationToken)
    {
        var tail = source.Length - end;
        if (tail <= 0)
        {
            return false;
        }

        var head = new byte[(int)Math.Min(tail, TailSniffLength)];
        await source.ReadAsync(end, head, cancellationToken).ConfigureAwait(false);
        var after = last is null ? "the metadata block" : $"the last indexed tensor '{last.Name}'";
        if (tail >= Terminator.Length && Terminator.IsTerminator(head.AsSpan(0, Terminator.Length)))
        {
            if (tail > Terminator.Length)
            {
                unaccounted.Add(new(end + Terminator.Length, tail - Terminator.Length, "after the terminator that ends the tensors"));
            }

            return true;
        }

        if (tail < Terminator.Length && !head.AsSpan().ContainsAnyExcept((byte)0))
        {
            unaccounted.Add(new(end, tail, $"a truncated terminator after {after}: {tail} of {Terminator.Length} zero bytes"));
            return false;
        }

        var found = TensorHeaderName(head, tail) is { } name
            ? $"they begin with a header for a tensor '{name}' that the index does not list"
            : "they are neither the terminator nor a tensor";
        unaccounted.Add(new(end, tail, $"after {after}: {found}"));
        return false;
    }

    /// <summary>The name in what looks like a tensor header (&lt;QHBH then the name), for the message only.</summary>
    private static string? TensorHeaderName(ReadOnlySpan<byte> bytes, long available)
    {
        const int nameAt = 8 + 2 + 1 + 2;
        if (bytes.Length < nameAt)
        {
            return null;
        }

        var size = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[11..]);
        if (size <= nameAt || size > (ulong)Math.Min(available, TensorIndex.MaxHeaderLength) || nameAt + nameLength > bytes.Length
            || nameAt + nameLength > (long)size || bytes[10] > (byte)TensorKind.StateDict)
        {
            return null;
        }

        try
        {
            return TensorName.Decode(bytes.Slice(nameAt, nameLength), (TensorKind)bytes[10]).Text;
        }
        catch (TensorizerException)
        {
            return null;
        }
    }
}
