namespace Tensorizer.Crypto;

/// <summary>
/// How the writer encrypts, exactly as upstream's <c>TensorSerializer(encryption=...)</c>: each tensor's data in
/// secretbox chunks of 2 MiB under a fresh random nonce (incremented per chunk), MACs in its crypt info, and, for a
/// passphrase, the Argon2id parameters and salt beside them so a reader can derive the same key.
/// </summary>
public sealed class TensorEncryption
{
    /// <summary>libsodium's <c>crypto_pwhash_OPSLIMIT_MODERATE</c>, upstream's default.</summary>
    public const ulong ModerateOpsLimit = 3;

    /// <summary>libsodium's <c>crypto_pwhash_MEMLIMIT_MODERATE</c> (256 MiB), upstream's default.</summary>
    public const ulong ModerateMemLimit = 256UL << 20;

    private readonly byte[] _key;

    private TensorEncryption(byte[] key, PasswordHashParameters? derivation, int chunkSize)
    {
        _key = key;
        Derivation = derivation;
        ChunkSize = chunkSize;
    }

    /// <summary>Stored in every encrypted tensor's crypt info when the key came from a passphrase.</summary>
    public PasswordHashParameters? Derivation { get; }

    public int ChunkSize { get; }

    /// <summary>The raw key, to save for decryption (as upstream's <c>EncryptionParams.key</c>).</summary>
    public ReadOnlySpan<byte> Key => _key;

    /// <param name="chunkSize">Bytes per secretbox: a multiple of 64, at least 1024; upstream always writes 2 MiB.</param>
    public static TensorEncryption FromKey(ReadOnlySpan<byte> key, int chunkSize = SecretBoxChunks.DefaultChunkSize)
    {
        if (key.Length != SecretBox.KeyBytes)
        {
            throw new ArgumentException($"An encryption key is exactly {SecretBox.KeyBytes} bytes; this one has {key.Length}.", nameof(key));
        }

        if (chunkSize < SecretBoxChunks.MinChunkSize || chunkSize % SecretBoxChunks.ChunkQuantum != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, "The chunk size is a multiple of 64 bytes, at least 1024.");
        }

        return new TensorEncryption(key.ToArray(), null, chunkSize);
    }

    /// <summary>A fresh random key (upstream's <c>EncryptionParams.random()</c>).</summary>
    public static TensorEncryption Random() => FromKey(SecretBox.RandomBytes(SecretBox.KeyBytes));

    /// <summary>Reads a raw 32-byte key file.</summary>
    public static TensorEncryption FromKeyFile(string path)
    {
        var key = File.ReadAllBytes(path);
        return key.Length == SecretBox.KeyBytes
            ? FromKey(key)
            : throw new ArgumentException($"Key file {path} holds {key.Length} bytes; a key file holds exactly {SecretBox.KeyBytes} raw bytes.");
    }

    /// <summary>A key derived from a passphrase with Argon2id and a random salt (upstream's <c>from_string</c>).</summary>
    public static TensorEncryption FromPassphrase(string passphrase, ulong opsLimit = ModerateOpsLimit, ulong memLimit = ModerateMemLimit)
    {
        ArgumentException.ThrowIfNullOrEmpty(passphrase);
        var parameters = new PasswordHashParameters(opsLimit, memLimit, PasswordHashParameters.Argon2id13, SecretBox.RandomBytes(SecretBox.SaltBytes));
        var key = SecretBox.DerivePassphraseKey(System.Text.Encoding.UTF8.GetBytes(passphrase), parameters);
        return new TensorEncryption(key, parameters, SecretBoxChunks.DefaultChunkSize);
    }

    /// <summary>Reads a passphrase file as UTF-8; one trailing line break (as <c>echo</c> leaves) is not part of it.</summary>
    public static TensorEncryption FromPassphraseFile(string path)
    {
        var text = File.ReadAllText(path, System.Text.Encoding.UTF8);
        text = text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('\n') ? text[..^1] : text;
        return string.IsNullOrEmpty(text) ? throw new ArgumentException($"Passphrase file {path} is empty.") : FromPassphrase(text);
    }

    /// <summary>An encryption from the given files, at most one of them set; null when neither is (write plain).</summary>
    public static TensorEncryption? FromFiles(string? keyFile, string? passphraseFile) =>
        (string.IsNullOrEmpty(keyFile), string.IsNullOrEmpty(passphraseFile)) switch
        {
            (true, true) => null,
            (false, true) => FromKeyFile(keyFile!),
            (true, false) => FromPassphraseFile(passphraseFile!),
            _ => throw new ArgumentException("Give either an encryption key file or a passphrase file, not both."),
        };

    /// <summary>The crypt info a tensor of this length carries (placeholder MACs: its size is all planning needs).</summary>
    internal CryptInfo PlaceholderInfo(long dataLength) => dataLength == 0
        ? CryptInfo.Empty
        : Info(new byte[SecretBox.NonceBytes], new byte[(dataLength + ChunkSize - 1) / ChunkSize][]);

    /// <summary>Encrypts one tensor's data; returns the ciphertext, one segment per chunk, and its crypt info.</summary>
    internal (IReadOnlyList<ReadOnlyMemory<byte>> Cipher, CryptInfo Info) Encrypt(IReadOnlyList<ReadOnlyMemory<byte>> data, long dataLength)
    {
        var count = (int)((dataLength + ChunkSize - 1) / ChunkSize);
        var nonce = SecretBox.RandomBytes(SecretBox.NonceBytes);
        var cipher = new ReadOnlyMemory<byte>[count];
        var macs = new byte[count][];
        Parallel.For(0, count, i =>
        {
            var start = (long)i * ChunkSize;
            var plain = new byte[(int)Math.Min(ChunkSize, dataLength - start)];
            CopyRange(data, start, plain);
            var box = new byte[plain.Length];
            macs[i] = SecretBox.CreateDetached(plain, box, SecretBox.ChunkNonce(nonce, i), _key);
            cipher[i] = box;
        });
        return (cipher, Info(nonce, macs));
    }

    private CryptInfo Info(byte[] nonce, byte[][] macs)
    {
        for (var i = 0; i < macs.Length; i++)
        {
            macs[i] ??= new byte[SecretBox.MacBytes];
        }

        var cipher = new SecretBoxChunks(ChunkSize, nonce, macs);
        return new CryptInfo(Derivation is null ? 1 : 2, cipher, Derivation);
    }

    /// <summary>Copies data bytes [start, start + destination.Length) out of the tensor's segments.</summary>
    private static void CopyRange(IReadOnlyList<ReadOnlyMemory<byte>> segments, long start, Span<byte> destination)
    {
        long segmentStart = 0;
        foreach (var segment in segments)
        {
            if (destination.IsEmpty)
            {
                return;
            }

            var segmentEnd = segmentStart + segment.Length;
            if (start < segmentEnd)
            {
                var take = (int)Math.Min(segmentEnd - start, destination.Length);
                segment.Span.Slice((int)(start - segmentStart), take).CopyTo(destination);
                destination = destination[take..];
                start += take;
            }

            segmentStart = segmentEnd;
        }
    }
}
