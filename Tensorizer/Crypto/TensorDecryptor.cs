using Tensorizer.Format;

namespace Tensorizer.Crypto;

/// <summary>
/// Decrypts one tensor's data in place, chunk by chunk as readers finish them: each encryption chunk is its own
/// secretbox, so chunks decrypt independently and in parallel, and the loader only has to align its reads to them.
/// </summary>
internal sealed class TensorDecryptor
{
    private readonly string _tensorName;
    private readonly SecretBoxChunks _cipher;
    private readonly byte[] _key;

    private TensorDecryptor(string tensorName, SecretBoxChunks cipher, byte[] key, int boxSize)
    {
        _tensorName = tensorName;
        _cipher = cipher;
        _key = key;
        BoxSize = boxSize;
    }

    /// <summary>Bytes under one MAC (the last box may be shorter).</summary>
    public int BoxSize { get; }

    /// <summary>
    /// What decrypts this tensor, or null when it has nothing to decrypt. Throws the typed error a load reports:
    /// no key for an encrypted tensor, a key for a plain one, or crypt info that does not fit the data.
    /// </summary>
    public static TensorDecryptor? For(TensorHeader header, TensorEntry entry, DecryptionKey? key)
    {
        var name = entry.Name.Text;
        var info = header.Crypt ?? CryptInfo.Empty;
        if (!info.IsEncrypted)
        {
            // Upstream refuses plain data when decryption was asked for: it would load unauthenticated bytes.
            return key is not null && entry.DataLength > 0
                ? throw new TensorDecryptionException(name, DecryptionFailure.KeyMismatch,
                    $"Tensor '{name}' is not encrypted, but a decryption key was given.")
                : null;
        }

        if (key is null)
        {
            throw new TensorDecryptionException(name, DecryptionFailure.KeyRequired,
                $"Tensor '{name}' is encrypted; give its key (--key-file or TENSORIZER_KEY_FILE) or passphrase (--passphrase-file or TENSORIZER_PASSPHRASE_FILE).");
        }

        if (info.Cipher is not { } cipher)
        {
            throw new TensorizerUnsupportedException($"Tensor '{name}': its crypt info names no known encryption method.");
        }

        if (entry.DataLength == 0)
        {
            return null;
        }

        // One MAC covers the whole tensor (upstream's sequential form, or a single parallel chunk); else one per chunk.
        long boxSize = cipher.ChunkSize == 0 || cipher.Macs.Count == 1 ? entry.DataLength : cipher.ChunkSize;
        var boxes = (entry.DataLength + boxSize - 1) / boxSize;
        if (cipher.Macs.Count != boxes)
        {
            throw new TensorizerFormatException(
                $"Tensor '{name}': {cipher.Macs.Count} MACs for {entry.DataLength} bytes in chunks of {cipher.ChunkSize} (expected {boxes}).");
        }

        if (boxSize > int.MaxValue)
        {
            throw new TensorizerUnsupportedException($"Tensor '{name}': one encrypted box of {boxSize} bytes; boxes over 2 GiB are not supported.");
        }

        return new TensorDecryptor(name, cipher, key.KeyFor(info, name), (int)boxSize);
    }

    /// <summary>The loader's read size for this tensor: whole boxes, as many as fit in <paramref name="chunkSize"/> (at least one).</summary>
    public int ReadSize(int chunkSize) => (int)Math.Min(int.MaxValue / BoxSize * (long)BoxSize, Math.Max(1, chunkSize / BoxSize) * (long)BoxSize);

    /// <summary>Decrypts data bytes [offset, offset + data.Length), which start on a box boundary, in place.</summary>
    public void Decrypt(long offset, Span<byte> data)
    {
        for (var done = 0; done < data.Length; done += BoxSize)
        {
            var index = (int)((offset + done) / BoxSize);
            var box = data.Slice(done, Math.Min(BoxSize, data.Length - done));
            if (!SecretBox.TryOpenDetached(box, _cipher.Macs[index], SecretBox.ChunkNonce(_cipher.Nonce, index), _key))
            {
                throw new TensorDecryptionException(_tensorName, DecryptionFailure.AuthenticationFailed,
                    $"Tensor '{_tensorName}' failed authentication at bytes {offset + done}..{offset + done + box.Length}: wrong key or passphrase, or the file was tampered with.");
            }
        }
    }
}
