using Tensorizer.Format;

namespace Tensorizer.Reading;

/// <summary>
/// Hashes one tensor's chunks in file order although readers finish them in any order. Whichever reader completes
/// the next expected chunk takes the baton and hashes every contiguous chunk already done; the others go on reading.
/// </summary>
/// <remarks>A mismatch throws, failing the load, unless <paramref name="onMismatch"/> collects it (verification).</remarks>
internal sealed class HashBaton(TensorHeader header, ITensorTarget target, TensorHasher hasher, Action<TensorHashMismatchException>? onMismatch = null)
{
    private readonly SortedList<long, Memory<byte>> _done = [];
    private long _next;
    private bool _hashing;

    public void Completed(long offset, Memory<byte> chunk)
    {
        lock (_done)
        {
            _done.Add(offset, chunk);
            if (_hashing)
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
                if (!_done.Remove(_next, out next))
                {
                    _hashing = false;
                    return;
                }
            }

            hasher.Append(next.Span);
            target.Release(_next, next);
            _next += next.Length;
            if (_next == header.DataLength)
            {
                Finish();
            }
        }
    }

    /// <summary>Verifies the hash once all data is in (immediately for tensors without data).</summary>
    public void Finish()
    {
        IReadOnlyList<TensorHashMismatchException> mismatches;
        using (hasher)
        {
            mismatches = hasher.Check(header);
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
