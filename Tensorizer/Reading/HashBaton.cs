using Tensorizer.Format;

namespace Tensorizer.Reading;

/// <summary>
/// Hashes one tensor, header first, then its data chunks in file order, although readers finish them in any order.
/// Whichever reader completes the next expected piece takes the baton and hashes every contiguous piece already
/// done; the others go on reading.
/// </summary>
/// <remarks>A mismatch throws, failing the load, unless <paramref name="onMismatch"/> collects it (verification).</remarks>
internal sealed class HashBaton(TensorEntry entry, ITensorTarget target, Action<TensorHashMismatchException>? onMismatch = null)
{
    private readonly SortedList<long, Memory<byte>> _done = [];
    private TensorHeader? _header;
    private TensorHasher? _hasher;
    private long _next;
    private bool _hashing;

    /// <summary>The tensor's header arrived: hashing can start.</summary>
    public void HeaderRead(TensorHeader header, byte[] bytes)
    {
        lock (_done)
        {
            _header = header;
            _hasher = TensorHasher.ForHeader(bytes, header);
        }

        Drain();
    }

    public void Completed(long offset, Memory<byte> chunk)
    {
        lock (_done)
        {
            _done.Add(offset, chunk);
        }

        Drain();
    }

    private void Drain()
    {
        lock (_done)
        {
            if (_hashing || _hasher is null)
            {
                return;
            }

            _hashing = true;
        }

        while (true)
        {
            Memory<byte> next;
            lock (_done)
            {
                if (_next == entry.DataLength || !_done.Remove(_next, out next))
                {
                    _hashing = false;
                    break;
                }
            }

            _hasher.Append(next.Span);
            target.Release(_next, next);
            _next += next.Length;
        }

        // Exactly one drain sees the end: the one that hashed the last piece (or read the header of an empty tensor).
        if (Interlocked.CompareExchange(ref _next, -1, entry.DataLength) == entry.DataLength)
        {
            Finish();
        }
    }

    private void Finish()
    {
        IReadOnlyList<TensorHashMismatchException> mismatches;
        using (_hasher)
        {
            mismatches = _hasher!.Check(_header!);
        }

        if (mismatches.Count > 0 && onMismatch is null)
        {
            throw mismatches[0];
        }

        foreach (var mismatch in mismatches)
        {
            onMismatch?.Invoke(mismatch);
        }
    }
}
