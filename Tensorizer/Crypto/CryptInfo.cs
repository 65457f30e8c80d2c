using System.Buffers.Binary;
using Tensorizer.Format;

namespace Tensorizer.Crypto;

/// <summary>
/// A tensor header's crypt info, as upstream lays it out (<c>tensorizer/_crypt_info.py</c>): a <c>&lt;Q</c> length
/// (written by the header, not here), then a <c>&lt;H</c> chunk count and each chunk as a <c>&lt;Q</c> length followed
/// by a <c>&lt;H</c> chunk type and its fields. Type 1 is key derivation (method 1: Argon2id parameters and salt),
/// type 2 is XSalsa20-Poly1305 in independent chunks, type 3 is one XSalsa20-Poly1305 box over the whole tensor.
/// </summary>
/// <param name="ChunkCount">Chunks present; 0 in a tensor of an encrypted file that carries no encrypted data.</param>
public sealed record CryptInfo(int ChunkCount, SecretBoxChunks? Cipher, PasswordHashParameters? KeyDerivation)
{
    private const ushort KeyDerivationType = 1;
    private const ushort ParallelType = 2;
    private const ushort SequentialType = 3;
    private const ushort PasswordHashMethod = 1;

    public static CryptInfo Empty { get; } = new(0, null, null);

    /// <summary>True when the tensor's data is encrypted (upstream: any crypt info chunk present).</summary>
    public bool IsEncrypted => ChunkCount != 0;

    /// <summary>Parses the bytes after the block's length prefix; any field running off its chunk is a format error.</summary>
    public static CryptInfo Parse(ReadOnlySpan<byte> block, string context)
    {
        var reader = new SpanReader(block, $"{context}: crypt info");
        var count = reader.ReadUInt16();
        SecretBoxChunks? cipher = null;
        PasswordHashParameters? derivation = null;
        for (var i = 0; i < count; i++)
        {
            var length = reader.ReadUInt64();
            if (length > (ulong)reader.Remaining)
            {
                throw new TensorizerFormatException($"{context}: crypt info chunk {i} claims {length} bytes, only {reader.Remaining} remain.");
            }

            // Each chunk is read within its own bounds; bytes past its known fields are ignored, as upstream does.
            var chunk = new SpanReader(reader.ReadBytes((int)length), $"{context}: crypt info chunk {i}");
            switch (chunk.ReadUInt16())
            {
                case KeyDerivationType:
                    derivation = derivation is null ? ReadKeyDerivation(ref chunk, context)
                        : throw new TensorizerFormatException($"{context}: more than one key derivation chunk.");
                    break;
                case ParallelType:
                    cipher = cipher is null ? ReadParallel(ref chunk, context)
                        : throw new TensorizerFormatException($"{context}: more than one encryption method.");
                    break;
                case SequentialType:
                    cipher = cipher is null ? new SecretBoxChunks(0, chunk.ReadBytes(SecretBox.NonceBytes).ToArray(), [chunk.ReadBytes(SecretBox.MacBytes).ToArray()])
                        : throw new TensorizerFormatException($"{context}: more than one encryption method.");
                    break;
                case var type:
                    throw new TensorizerUnsupportedException($"{context}: unknown crypt info chunk type {type}.");
            }
        }

        return new CryptInfo(count, cipher, derivation);
    }

    private static PasswordHashParameters ReadKeyDerivation(ref SpanReader chunk, string context)
    {
        var method = chunk.ReadUInt16();
        if (method != PasswordHashMethod)
        {
            throw new TensorizerUnsupportedException($"{context}: unknown key derivation method {method}.");
        }

        var opsLimit = chunk.ReadUInt64();
        var memLimit = chunk.ReadUInt64();
        var algorithm = (int)chunk.ReadUInt32();
        var salt = chunk.ReadBytes(chunk.ReadUInt16()).ToArray();
        return new PasswordHashParameters(opsLimit, memLimit, algorithm, salt);
    }

    private static SecretBoxChunks ReadParallel(ref SpanReader chunk, string context)
    {
        var chunkSize = chunk.ReadUInt64();
        var nonce = chunk.ReadBytes(SecretBox.NonceBytes).ToArray();
        var macCount = chunk.ReadUInt64();
        if (chunkSize < SecretBoxChunks.MinChunkSize || chunkSize % SecretBoxChunks.ChunkQuantum != 0 || chunkSize > int.MaxValue)
        {
            throw new TensorizerFormatException(
                $"{context}: encryption chunk size {chunkSize} is not a multiple of {SecretBoxChunks.ChunkQuantum} between {SecretBoxChunks.MinChunkSize} and 2 GiB.");
        }

        if (macCount > (ulong)(chunk.Remaining / SecretBox.MacBytes))
        {
            throw new TensorizerFormatException($"{context}: {macCount} MACs do not fit in the crypt info.");
        }

        var macs = new byte[(int)macCount][];
        for (var m = 0; m < macs.Length; m++)
        {
            macs[m] = chunk.ReadBytes(SecretBox.MacBytes).ToArray();
        }

        return new SecretBoxChunks((int)chunkSize, nonce, macs);
    }

    /// <summary>Size of the block as written, its <c>&lt;Q</c> length prefix included.</summary>
    public int SizedLength => 8 + 2 + (Cipher is null ? 0 : 8 + Cipher.Length) + (KeyDerivation is null ? 0 : 8 + KeyDerivation.Length);

    /// <summary>Writes the block with its length prefix: key derivation first, then the cipher, as upstream orders them.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, (ulong)(SizedLength - 8));
        BinaryPrimitives.WriteUInt16LittleEndian(destination[8..], (ushort)((Cipher is null ? 0 : 1) + (KeyDerivation is null ? 0 : 1)));
        var rest = destination[10..];
        if (KeyDerivation is { } kd)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(rest, (ulong)kd.Length);
            rest = rest[8..];
            BinaryPrimitives.WriteUInt16LittleEndian(rest, KeyDerivationType);
            BinaryPrimitives.WriteUInt16LittleEndian(rest[2..], PasswordHashMethod);
            BinaryPrimitives.WriteUInt64LittleEndian(rest[4..], kd.OpsLimit);
            BinaryPrimitives.WriteUInt64LittleEndian(rest[12..], kd.MemLimit);
            BinaryPrimitives.WriteInt32LittleEndian(rest[20..], kd.Algorithm);
            BinaryPrimitives.WriteUInt16LittleEndian(rest[24..], (ushort)kd.Salt.Length);
            kd.Salt.CopyTo(rest[26..]);
            rest = rest[kd.Length..];
        }

        if (Cipher is { } c)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(rest, (ulong)c.Length);
            rest = rest[8..];
            BinaryPrimitives.WriteUInt16LittleEndian(rest, ParallelType);
            BinaryPrimitives.WriteUInt64LittleEndian(rest[2..], (ulong)c.ChunkSize);
            c.Nonce.CopyTo(rest[10..]);
            BinaryPrimitives.WriteUInt64LittleEndian(rest[34..], (ulong)c.Macs.Count);
            for (var m = 0; m < c.Macs.Count; m++)
            {
                c.Macs[m].CopyTo(rest[(42 + (m * SecretBox.MacBytes))..]);
            }
        }
    }
}

/// <summary>
/// XSalsa20-Poly1305 over a tensor's data in chunks of <see cref="ChunkSize"/> bytes (the last may be shorter), chunk
/// i under <see cref="Nonce"/> incremented i times as a little-endian integer, each MAC stored here (detached).
/// </summary>
/// <param name="ChunkSize">0 for upstream's sequential form: one box over the whole tensor.</param>
public sealed record SecretBoxChunks(int ChunkSize, byte[] Nonce, IReadOnlyList<byte[]> Macs)
{
    /// <summary>Upstream's writer chunk size (<c>2 &lt;&lt; 20</c>).</summary>
    public const int DefaultChunkSize = 2 << 20;

    internal const int MinChunkSize = 1024;
    internal const int ChunkQuantum = 64;

    /// <summary>Bytes of the type 2 chunk after its length prefix.</summary>
    internal int Length => 2 + 8 + SecretBox.NonceBytes + 8 + (Macs.Count * SecretBox.MacBytes);
}

/// <summary>Upstream's <c>crypto_pwhash</c> parameters: a key derived from a passphrase with these limits and salt.</summary>
public sealed record PasswordHashParameters(ulong OpsLimit, ulong MemLimit, int Algorithm, byte[] Salt)
{
    /// <summary>libsodium's <c>crypto_pwhash_ALG_ARGON2ID13</c>, the only algorithm upstream writes.</summary>
    public const int Argon2id13 = 2;

    /// <summary>Bytes of the type 1 chunk after its length prefix.</summary>
    internal int Length => 2 + 2 + 8 + 8 + 4 + 2 + Salt.Length;

    /// <summary>Structural equality for the derived-key cache (the salt compared by value).</summary>
    internal string CacheKey => $"{OpsLimit}:{MemLimit}:{Algorithm}:{Convert.ToHexString(Salt)}";
}
