using System.Security.Cryptography;
using System.Text;

namespace Tensorizer.Tests;

/// <summary>
/// Lays out an encrypted <c>.tensors</c> file byte by byte from upstream's layout (serialization.py and
/// _crypt_info.py), calling libsodium's secretbox directly, without the library's writer or crypto code: loading it
/// proves the reader decrypts what upstream writes. Version 3, flags zero (upstream writes flags only from v4);
/// per tensor: header, sha256 only, then a &lt;Q-sized crypt info block (&lt;H count; per chunk &lt;Q size, &lt;H type,
/// fields), then &lt;q data length; data as detached secretboxes of <see cref="ChunkSize"/> bytes, nonce incremented
/// per chunk; the SHA-256 covers the header without its crypt info (hash value zeroed) and the plaintext.
/// </summary>
internal sealed class EncryptedRawFile(byte[] key)
{
    private readonly List<(string Name, byte[] Data)> _tensors = [];

    public int ChunkSize { get; init; } = 1024;

    /// <summary>When set, a key derivation chunk (type 1, method 1) is written before the cipher chunk.</summary>
    public (ulong Ops, ulong Mem, byte[] Salt)? PasswordHash { get; init; }

    /// <summary>
    /// Upstream's 3.0 development layout instead: version 5 with flag bit 0, every header after the index, data from
    /// the next 4096-byte boundary; each header's SHA-256 skips its hash section and crypt info.
    /// </summary>
    public bool HeaderBlock { get; init; }

    public EncryptedRawFile Add(string name, byte[] float32Data)
    {
        _tensors.Add((name, float32Data));
        return this;
    }

    public byte[] Build()
    {
        const int metadataSize = 4096;
        var index = new BinaryWriter(new MemoryStream());
        var body = new MemoryStream();
        var sealedTensors = _tensors.Select(t => (t.Name, t.Data, Header: Header(t.Name, t.Data, out var cipher), Cipher: cipher)).ToArray();
        long position = 73 + metadataSize;
        var headersEnd = position + sealedTensors.Sum(t => t.Header.Length);
        var dataPosition = HeaderBlock ? (headersEnd + 4095) & ~4095L : 0;
        if (HeaderBlock)
        {
            body.Write(sealedTensors.SelectMany(t => t.Header).ToArray());
            body.Write(new byte[dataPosition - headersEnd]);
        }

        foreach (var (name, data, header, cipher) in sealedTensors)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            index.Write((ushort)nameBytes.Length);
            index.Write(nameBytes);
            index.Write((byte)0);
            index.Write((byte)3);
            index.Write("<f4"u8);
            index.Write((byte)1);
            index.Write((uint)(data.Length / 4));
            index.Write((ulong)position);
            if (HeaderBlock)
            {
                index.Write((ulong)dataPosition);
                index.Write((ulong)data.Length);
                body.Write(cipher);
                position += header.Length;
                dataPosition += data.Length;
                continue;
            }

            index.Write((ulong)(position + header.Length));
            index.Write((ulong)data.Length);
            body.Write(header);
            body.Write(cipher);
            position += header.Length + data.Length;
        }

        var file = new BinaryWriter(new MemoryStream());
        file.Write("|TZR|"u8);
        file.Write(HeaderBlock ? 5u : 3u);
        file.Write(HeaderBlock ? [1, .. new byte[31]] : new byte[32]);
        file.Write((ulong)_tensors.Sum(t => t.Data.Length));
        file.Write(0UL);
        file.Write((ulong)_tensors.Count);
        file.Write((ulong)metadataSize);
        var metadata = new byte[metadataSize];
        ((MemoryStream)index.BaseStream).ToArray().CopyTo(metadata, 0);
        file.Write(metadata);
        file.Write(body.ToArray());
        return ((MemoryStream)file.BaseStream).ToArray();
    }

    private byte[] Header(string name, byte[] data, out byte[] cipher)
    {
        // Encrypt first: the MACs go in the crypt info, which the hash skips.
        var chunks = (data.Length + ChunkSize - 1) / ChunkSize;
        var nonce = RandomNumberGenerator.GetBytes(24);
        var firstNonce = (byte[])nonce.Clone();
        cipher = new byte[data.Length];
        var macs = new List<byte[]>();
        for (var i = 0; i < chunks; i++)
        {
            var plain = data.AsSpan(i * ChunkSize, Math.Min(ChunkSize, data.Length - (i * ChunkSize))).ToArray();
            var box = Sodium.SecretBox.CreateDetached(plain, nonce, key);
            box.CipherText.CopyTo(cipher, i * ChunkSize);
            macs.Add(box.Mac);
            Sodium.Utilities.Increment(nonce);
        }

        var crypt = new BinaryWriter(new MemoryStream());
        var chunkCount = PasswordHash is null ? (ushort)1 : (ushort)2;
        crypt.Write(chunkCount);
        if (PasswordHash is var (ops, mem, salt))
        {
            crypt.Write((ulong)(2 + 2 + 8 + 8 + 4 + 2 + salt.Length));
            crypt.Write((ushort)1);
            crypt.Write((ushort)1);
            crypt.Write(ops);
            crypt.Write(mem);
            crypt.Write(2);
            crypt.Write((ushort)salt.Length);
            crypt.Write(salt);
        }

        crypt.Write((ulong)(2 + 8 + 24 + 8 + (16 * chunks)));
        crypt.Write((ushort)2);
        crypt.Write((ulong)ChunkSize);
        crypt.Write(firstNonce);
        crypt.Write((ulong)chunks);
        foreach (var mac in macs)
        {
            crypt.Write(mac);
        }

        var cryptBlock = ((MemoryStream)crypt.BaseStream).ToArray();
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var before = new BinaryWriter(new MemoryStream());
        var size = 8 + 2 + 1 + 2 + nameBytes.Length + 1 + 3 + 1 + 4 + 2 + 35 + 8 + cryptBlock.Length + 8;
        before.Write((ulong)size);
        before.Write((ushort)0);
        before.Write((byte)0);
        before.Write((ushort)nameBytes.Length);
        before.Write(nameBytes);
        before.Write((byte)3);
        before.Write("<f4"u8);
        before.Write((byte)1);
        before.Write((uint)(data.Length / 4));
        before.Write((ushort)35);
        before.Write((byte)1);
        before.Write((byte)1);
        before.Write((byte)32);
        var shaAt = (int)before.BaseStream.Position;
        before.Write(new byte[32]);
        var head = ((MemoryStream)before.BaseStream).ToArray();
        var tail = BitConverter.GetBytes((long)data.Length);

        const int hashFieldsAt = 8 + 2 + 1 + 2 + 1 + 3 + 1 + 4; // <QHBH, then (after the name) the dtype and one u32 dim
        var sha = SHA256.HashData(HeaderBlock ? [.. head[..(hashFieldsAt + nameBytes.Length)], .. tail, .. data] : [.. head, .. tail, .. data]);
        sha.CopyTo(head, shaAt);
        return [.. head, .. BitConverter.GetBytes((ulong)cryptBlock.Length), .. cryptBlock, .. tail];
    }
}
