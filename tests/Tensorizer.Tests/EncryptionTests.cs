using System.Security.Cryptography;
using Tensorizer.Crypto;
using Tensorizer.Format;
using Tensorizer.Reading;
using Tensorizer.Writing;

namespace Tensorizer.Tests;

/// <summary>Encrypted files as upstream writes them: read on the parallel path, written by ours, refused clearly.</summary>
public class EncryptionTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    private static LoadOptions With(DecryptionKey? key, int readers = 4) => new() { Decryption = key, Readers = readers, ChunkSize = 4096, VerifyHashes = true };

    [Fact]
    public async Task Loads_a_file_laid_out_byte_by_byte_as_upstream_encrypts()
    {
        var a = TestFiles.Bytes(10_000, seed: 2); // 10 boxes of 1024, the last short
        var b = TestFiles.Bytes(64, seed: 3);
        var file = new EncryptedRawFile(Key).Add("a", a).Add("b", b).Build();

        var tensors = await TestFiles.ReadAllAsync(file, With(DecryptionKey.FromKey(Key)));

        Assert.Equal(a, tensors["a"]);
        Assert.Equal(b, tensors["b"]);
        await using var opened = await TestFiles.OpenAsync(file);
        Assert.Empty(await opened.VerifyAsync(With(DecryptionKey.FromKey(Key))));
    }

    [Fact]
    public async Task Derives_the_key_from_a_passphrase_and_the_salt_in_the_file()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        // Sodium.Core's own Argon2id (at least 3 passes) derives the key the test encrypts with.
        var key = Sodium.PasswordHash.ArgonHashBinary("correct horse"u8.ToArray(), salt, 3, 8192, 32, Sodium.PasswordHash.ArgonAlgorithm.Argon_2ID13);
        var data = TestFiles.Bytes(3000);
        var file = new EncryptedRawFile(key) { PasswordHash = (3, 8192, salt) }.Add("w", data).Build();

        var tensors = await TestFiles.ReadAllAsync(file, With(DecryptionKey.FromPassphrase("correct horse")));

        Assert.Equal(data, tensors["w"]);
        var wrong = await Assert.ThrowsAsync<TensorDecryptionException>(() => TestFiles.ReadAllAsync(file, With(DecryptionKey.FromPassphrase("wrong horse"))));
        Assert.Equal(DecryptionFailure.AuthenticationFailed, wrong.Failure);
    }

    [Fact]
    public async Task Inspecting_needs_no_key_but_loading_does()
    {
        var file = new EncryptedRawFile(Key).Add("w", TestFiles.Bytes(2048)).Build();
        await using var opened = await TestFiles.OpenAsync(file);
        Assert.True(opened.Header.HasCryptInfo);
        var (header, _) = await opened.ReadHeaderAsync(opened.Index["w"]);
        Assert.Equal(2, header.Crypt!.Cipher!.Macs.Count);

        var e = await Assert.ThrowsAsync<TensorDecryptionException>(() => TestFiles.ReadAllAsync(file));
        Assert.Equal(DecryptionFailure.KeyRequired, e.Failure);
        Assert.Equal("w", e.TensorName);
        Assert.Contains("--key-file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_key_fails_authentication_naming_the_tensor()
    {
        var file = new EncryptedRawFile(Key).Add("layer.weight", TestFiles.Bytes(5000)).Build();
        var e = await Assert.ThrowsAsync<TensorDecryptionException>(
            () => TestFiles.ReadAllAsync(file, With(DecryptionKey.FromKey(RandomNumberGenerator.GetBytes(32)))));
        Assert.Equal(DecryptionFailure.AuthenticationFailed, e.Failure);
        Assert.Equal("layer.weight", e.TensorName);
    }

    [Fact]
    public async Task Tampered_ciphertext_fails_authentication_and_nothing_reaches_the_target()
    {
        var file = new EncryptedRawFile(Key).Add("w", TestFiles.Bytes(4096)).Build();
        file[^100] ^= 1; // last box
        var released = new List<long>();
        await using var opened = await TestFiles.OpenAsync(file);
        var target = new RecordingTarget(4096, released);
        var e = await Assert.ThrowsAsync<TensorDecryptionException>(
            () => opened.LoadAsync(opened.Index, _ => target, With(DecryptionKey.FromKey(Key), readers: 1)));
        Assert.Equal(DecryptionFailure.AuthenticationFailed, e.Failure);
        Assert.DoesNotContain(3072L, released);
    }

    [Fact]
    public async Task Round_trips_through_our_writer_with_a_key_and_with_a_passphrase()
    {
        var weight = TestFiles.Bytes(3 * SecretBoxChunks.DefaultChunkSize / 2);
        TensorToWrite[] tensors =
        [
            TensorToWrite.StateDict("w", TensorElementType.Float32, [weight.Length / 4], weight),
            TensorToWrite.StateDict("b", TensorElementType.Float32, [4], TestFiles.Bytes(16)),
        ];
        foreach (var (encryption, key) in new[]
        {
            (TensorEncryption.FromKey(Key), DecryptionKey.FromKey(Key)),
            (TensorEncryption.FromPassphrase("pass", opsLimit: 1, memLimit: 8192), DecryptionKey.FromPassphrase("pass")),
        })
        {
            var output = new MemoryStream();
            await TensorWriter.WriteAsync(output, tensors, encryption);
            var file = output.ToArray();
            Assert.Equal(3u, BitConverter.ToUInt32(file, 5));
            Assert.DoesNotContain(Convert.ToHexString(weight.AsSpan(0, 64)), Convert.ToHexString(file), StringComparison.Ordinal);

            var read = await TestFiles.ReadAllAsync(file, With(key) with { ChunkSize = 1 << 20 });
            Assert.Equal(weight, read["w"]);
            await using var opened = await TestFiles.OpenAsync(file);
            Assert.Empty(await opened.VerifyAsync(With(key)));
        }
    }

    [Fact]
    public async Task A_meta_tensor_in_an_encrypted_file_has_empty_crypt_info_and_the_v4_flag()
    {
        var output = new MemoryStream();
        await TensorWriter.WriteAsync(output,
            [TensorToWrite.StateDict("w", TensorElementType.Float32, [2], TestFiles.Bytes(8)), TensorToWrite.Meta("m", TensorKind.Buffer, TensorElementType.Float32, [3])],
            TensorEncryption.FromKey(Key));
        var file = output.ToArray();
        Assert.Equal(4u, BitConverter.ToUInt32(file, 5));
        Assert.Equal(1, file[9]);
        var read = await TestFiles.ReadAllAsync(file, With(DecryptionKey.FromKey(Key)));
        Assert.Empty(read["m"]); // stored empty; targets zero-fill meta tensors
        Assert.Equal(8, read["w"].Length);
    }

    [Fact]
    public async Task A_key_for_a_plain_file_is_refused()
    {
        var file = new RawFileBuilder().Add("w", "<f4", [2], TestFiles.Bytes(8)).Build();
        var e = await Assert.ThrowsAsync<TensorDecryptionException>(() => TestFiles.ReadAllAsync(file, With(DecryptionKey.FromKey(Key))));
        Assert.Equal(DecryptionFailure.KeyMismatch, e.Failure);
    }

    [Fact]
    public void Malformed_crypt_info_is_a_typed_error()
    {
        // count 1; chunk of 200 bytes claimed, 2 present
        Assert.Throws<TensorizerFormatException>(() => CryptInfo.Parse([1, 0, 200, 0, 0, 0, 0, 0, 0, 0, 2, 0], "t"));
        // unknown chunk type 9
        Assert.Throws<TensorizerUnsupportedException>(() => CryptInfo.Parse([1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 9, 0], "t"));
        // parallel chunk with a chunk size of 100 (not a multiple of 64, under 1024)
        byte[] parallel = [1, 0, 42, 0, 0, 0, 0, 0, 0, 0, 2, 0, 100, 0, 0, 0, 0, 0, 0, 0, .. new byte[24], 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Throws<TensorizerFormatException>(() => CryptInfo.Parse(parallel, "t"));
        // MAC count far beyond the bytes present
        byte[] macs = [1, 0, 42, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 4, 0, 0, 0, 0, 0, 0, .. new byte[24], 255, 255, 255, 255, 0, 0, 0, 0];
        Assert.Throws<TensorizerFormatException>(() => CryptInfo.Parse(macs, "t"));
        Assert.Throws<TensorizerFormatException>(() => CryptInfo.Parse([1], "t"));
    }

    [Fact]
    public async Task A_mac_count_that_does_not_fit_the_data_fails_naming_the_tensor()
    {
        var file = new EncryptedRawFile(Key).Add("w", TestFiles.Bytes(2048)).Build();
        var at = Convert.ToHexString(file).IndexOf("0200000000000000", 73 * 2 + 8192, StringComparison.Ordinal); // the MAC count, 2
        Assert.True(at > 0);
        file[at / 2] = 3;
        var e = await Assert.ThrowsAsync<TensorizerFormatException>(() => TestFiles.ReadAllAsync(file, With(DecryptionKey.FromKey(Key))));
        Assert.Contains("'w'", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Records which data offsets were released (final) to the target.</summary>
    private sealed class RecordingTarget(long length, List<long> released) : ITensorTarget
    {
        private readonly byte[] _bytes = new byte[length];

        public Memory<byte> Acquire(long offset, int length, CancellationToken cancellationToken) => _bytes.AsMemory((int)offset, length);

        public void Release(long offset, Memory<byte> chunk)
        {
            lock (released)
            {
                released.Add(offset);
            }
        }
    }
}
