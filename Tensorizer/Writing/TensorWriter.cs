using System.Buffers.Binary;
using Tensorizer.Format;

namespace Tensorizer.Writing;

/// <summary>
/// Writes <c>.tensors</c> files as upstream's current writer does: the lowest format version the content needs
/// (1, so tensorizer 1.1.0 can read plain fp16/fp32 models; 2 for opaque dtypes such as bfloat16; 4 for meta
/// tensors), a 256 KiB metadata block, then each tensor's header and data in index order, with CRC32 and SHA-256,
/// and the zero terminator after the last tensor. The header slots hold what every release from 1.1.0 (9335202f)
/// to 2.11.1 (79c50637) writes for these versions: the data total at 41, zero at 49, the tensor count at 57.
/// </summary>
public static class TensorWriter
{
    private const int HashesLength = 1 + (2 + 4) + (2 + 32); // count, crc32 (type, len, value), sha256
    private const int EncryptedHashesLength = 1 + (2 + 32); // upstream stores only SHA-256 for encrypted data

    /// <summary>Writes to a temporary file beside <paramref name="path"/>, flushes it to disk and renames it into place.</summary>
    public static Task WriteFileAsync(string path, IReadOnlyList<TensorToWrite> tensors, CancellationToken cancellationToken = default) =>
        WriteFileAsync(path, tensors, encryption: null, cancellationToken);

    /// <summary>As above, encrypting every tensor's data as upstream does when <paramref name="encryption"/> is given.</summary>
    public static async Task WriteFileAsync(string path, IReadOnlyList<TensorToWrite> tensors, Crypto.TensorEncryption? encryption, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var layout = FileLayout.Plan(tensors, encryption);
        var fullPath = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                BufferSize = 1 << 20,
                PreallocationSize = layout.FileLength,
            }))
            {
                await WriteAsync(stream, layout, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>The length of the file these tensors make, encrypted or not; validates them as writing would.</summary>
    internal static long FileLength(IReadOnlyList<TensorToWrite> tensors, Crypto.TensorEncryption? encryption) => FileLayout.Plan(tensors, encryption).FileLength;

    /// <summary>Writes the whole file sequentially to a stream (a file, an upload, memory).</summary>
    public static Task WriteAsync(Stream output, IReadOnlyList<TensorToWrite> tensors, CancellationToken cancellationToken = default) =>
        WriteAsync(output, FileLayout.Plan(tensors, encryption: null), cancellationToken);

    /// <summary>Writes the whole file, encrypted, sequentially to a stream.</summary>
    public static Task WriteAsync(Stream output, IReadOnlyList<TensorToWrite> tensors, Crypto.TensorEncryption? encryption, CancellationToken cancellationToken = default) =>
        WriteAsync(output, FileLayout.Plan(tensors, encryption), cancellationToken);

    private static async Task WriteAsync(Stream output, FileLayout layout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        await output.WriteAsync(layout.Prologue, cancellationToken).ConfigureAwait(false);

        // Produce the next tensor's bytes (read, cast) while this one is hashed and written: two cores, two stages.
        var tensors = layout.Tensors;
        Task<IReadOnlyList<ReadOnlyMemory<byte>>>? next = tensors.Count > 0 ? Task.FromResult(tensors[0].Tensor.ResolveData()) : null;
        try
        {
            for (var i = 0; i < tensors.Count; i++)
            {
                var data = await next!.ConfigureAwait(false);
                var following = i + 1 < tensors.Count ? tensors[i + 1].Tensor : null;
                next = following is null ? null : Task.Run(following.ResolveData, cancellationToken);
                (var header, data) = BuildHeader(tensors[i].Tensor, data, layout.Encryption);
                await output.WriteAsync(header, cancellationToken).ConfigureAwait(false);
                foreach (var segment in data)
                {
                    await output.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
                }
            }

            await output.WriteAsync(new byte[Terminator.Length], cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (next is not null)
            {
                await next.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The per-tensor header with its hashes filled in (computed over the header with zeroed values, then the data).</summary>
    internal static byte[] BuildHeader(TensorToWrite tensor, IReadOnlyList<ReadOnlyMemory<byte>> data) => BuildHeader(tensor, data, null).Header;

    /// <summary>
    /// The header and the bytes to write after it: the data itself, or when encrypting, its ciphertext (hashes cover the
    /// plaintext and the header without its crypt info, whose MACs exist only after encryption, as upstream).
    /// </summary>
    private static (byte[] Header, IReadOnlyList<ReadOnlyMemory<byte>> Data) BuildHeader(
        TensorToWrite tensor, IReadOnlyList<ReadOnlyMemory<byte>> data, Crypto.TensorEncryption? encryption)
    {
        var name = tensor.Name.Encoded.Span;
        var dtype = System.Text.Encoding.ASCII.GetBytes(tensor.Dtype.Text);
        var crypt = encryption?.PlaceholderInfo(tensor.DataLength);
        var withCrc = crypt?.IsEncrypted != true;
        var header = new byte[HeaderLength(tensor, crypt)];
        var w = new SpanWriter(header);
        w.UInt64((ulong)header.Length);
        w.UInt16(tensor.ModuleIndex);
        w.Byte((byte)tensor.Kind);
        w.UInt16((ushort)name.Length);
        w.Bytes(name);
        w.Byte((byte)dtype.Length);
        w.Bytes(dtype);
        w.Byte((byte)tensor.Shape.Count);
        foreach (var dim in tensor.Shape)
        {
            w.UInt32((uint)dim);
        }

        w.UInt16((ushort)(withCrc ? HashesLength : EncryptedHashesLength));
        w.Byte(withCrc ? (byte)2 : (byte)1);
        var crcOffset = -1;
        if (withCrc)
        {
            w.Byte((byte)HashType.Crc32);
            w.Byte(4);
            crcOffset = w.Skip(4);
        }

        w.Byte((byte)HashType.Sha256);
        w.Byte(32);
        var shaOffset = w.Skip(32);
        var cryptOffset = w.Skip(crypt?.SizedLength ?? 0);
        w.UInt64((ulong)tensor.DataLength);

        // The crypt info block is still zero here; upstream leaves it out of the header hash altogether.
        using var hasher = crypt is null ? new TensorHasher(header, [])
            : new TensorHasher([.. header.AsSpan(0, cryptOffset), .. header.AsSpan(cryptOffset + crypt.SizedLength)], []);
        hasher.Append(data);

        if (withCrc)
        {
            hasher.Crc32Value().CopyTo(header, crcOffset);
        }

        hasher.Sha256Value().CopyTo(header, shaOffset);
        if (crypt is null)
        {
            return (header, data);
        }

        if (crypt.IsEncrypted)
        {
            (data, crypt) = encryption!.Encrypt(data, tensor.DataLength);
        }

        crypt.Write(header.AsSpan(cryptOffset));
        return (header, data);
    }

    private static int HeaderLength(TensorToWrite tensor, Crypto.CryptInfo? crypt) =>
        TensorHeader.SizeFor(tensor.Name.Encoded.Length, tensor.Dtype.Text.Length, tensor.Shape.Count, crypt?.IsEncrypted == true ? EncryptedHashesLength : HashesLength)
        + (crypt?.SizedLength ?? 0);

    /// <summary>Where everything goes, computed before a byte is written (the index precedes the data).</summary>
    private sealed record FileLayout(byte[] Prologue, IReadOnlyList<(TensorToWrite Tensor, long HeaderOffset)> Tensors, long FileLength, Crypto.TensorEncryption? Encryption)
    {
        public static FileLayout Plan(IReadOnlyList<TensorToWrite> tensors, Crypto.TensorEncryption? encryption)
        {
            ArgumentNullException.ThrowIfNull(tensors);
            if (tensors.Count == 0)
            {
                throw new ArgumentException("A tensorizer file needs at least one tensor.", nameof(tensors));
            }

            var names = new HashSet<TensorName>();
            var version = FileHeader.MinVersion;
            var index = new MemoryStream();
            var placed = new List<(TensorToWrite, long)>(tensors.Count);
            long offset = FileHeader.Size + FileHeader.DefaultMetadataSize;
            long dataBytes = 0;
            foreach (var tensor in tensors)
            {
                Validate(tensor, names);
                version = Math.Max(version, tensor.IsMeta ? FileHeader.MetaTensorVersion : tensor.Dtype.IsOpaque ? FileHeader.OpaqueDtypeVersion : 1);
                var headerLength = HeaderLength(tensor, encryption?.PlaceholderInfo(tensor.DataLength));
                WriteIndexEntry(index, tensor, offset, offset + headerLength);
                placed.Add((tensor, offset));
                offset += headerLength + tensor.DataLength;
                dataBytes += tensor.DataLength;
            }

            if (index.Length > FileHeader.DefaultMetadataSize)
            {
                throw new ArgumentException(
                    $"The index of {tensors.Count} tensors needs {index.Length} bytes, more than the {FileHeader.DefaultMetadataSize}-byte metadata block.",
                    nameof(tensors));
            }

            // Encryption needs version 3; upstream writes the encrypted flag only where flags exist (version 4+).
            version = encryption is null ? version : Math.Max(version, FileHeader.EncryptionVersion);
            var prologue = new byte[FileHeader.Size + FileHeader.DefaultMetadataSize];
            var w = new SpanWriter(prologue);
            w.Bytes(FileHeader.Magic);
            w.UInt32((uint)version);
            w.UInt64(encryption is not null && version >= FileHeader.MetaTensorVersion ? FileHeader.EncryptedFlag : 0);
            w.Skip(24); // the rest of the 256-bit feature flags
            w.UInt64((ulong)dataBytes); // upstream's "tensor size" slot holds the data total
            w.Skip(8);
            w.UInt64((ulong)tensors.Count);
            w.UInt64(FileHeader.DefaultMetadataSize);
            index.GetBuffer().AsSpan(0, (int)index.Length).CopyTo(prologue.AsSpan(FileHeader.Size));
            return new FileLayout(prologue, placed, offset + Terminator.Length, encryption);
        }

        private static void Validate(TensorToWrite tensor, HashSet<TensorName> names)
        {
            if (!names.Add(tensor.Name))
            {
                throw new ArgumentException($"Tensor name '{tensor.Name}' is used twice.", nameof(tensor));
            }

            if (tensor.Name.Encoded.Length > ushort.MaxValue || tensor.Shape.Count > byte.MaxValue || tensor.Shape.Any(d => d is < 0 or > uint.MaxValue))
            {
                throw new ArgumentException($"Tensor '{tensor.Name}': name, rank or a dimension is beyond what the format stores.", nameof(tensor));
            }

            if (tensor.Data is not null)
            {
                tensor.ResolveData(); // given bytes are checked before anything is written; deferred ones when produced
            }
        }

        private static void WriteIndexEntry(MemoryStream index, TensorToWrite tensor, long headerOffset, long dataOffset)
        {
            var name = tensor.Name.Encoded.Span;
            var entry = new byte[TensorIndex.MinEntrySize + name.Length + tensor.Dtype.Text.Length + (4 * tensor.Shape.Count)];
            var w = new SpanWriter(entry);
            w.UInt16((ushort)name.Length);
            w.Bytes(name);
            w.Byte((byte)tensor.Kind);
            w.Byte((byte)tensor.Dtype.Text.Length);
            w.Bytes(System.Text.Encoding.ASCII.GetBytes(tensor.Dtype.Text));
            w.Byte((byte)tensor.Shape.Count);
            foreach (var dim in tensor.Shape)
            {
                w.UInt32((uint)dim);
            }

            w.UInt64((ulong)headerOffset);
            w.UInt64((ulong)dataOffset);
            w.UInt64((ulong)tensor.DataLength);
            index.Write(entry);
        }
    }

    /// <summary>Little-endian writes into a buffer sized up front.</summary>
    private ref struct SpanWriter(Span<byte> span)
    {
        private readonly Span<byte> _span = span;
        private int _position;

        public void Byte(byte value) => _span[_position++] = value;

        public void UInt16(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Advance(2), value);

        public void UInt32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Advance(4), value);

        public void UInt64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Advance(8), value);

        public void Bytes(ReadOnlySpan<byte> value) => value.CopyTo(Advance(value.Length));

        /// <summary>Leaves <paramref name="count"/> zero bytes and returns where they start.</summary>
        public int Skip(int count)
        {
            Advance(count);
            return _position - count;
        }

        private Span<byte> Advance(int count)
        {
            var slice = _span.Slice(_position, count);
            _position += count;
            return slice;
        }
    }
}
