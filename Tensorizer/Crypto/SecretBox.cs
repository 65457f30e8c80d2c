using System.Security.Cryptography;

namespace Tensorizer.Crypto;

/// <summary>
/// The few libsodium primitives the format uses, through Sodium.Core (which ships libsodium itself, so no system
/// package is needed): <c>crypto_secretbox_detached</c>/<c>_open_detached</c>, <c>sodium_increment</c>,
/// <c>crypto_pwhash</c> and random bytes. Sodium.Core takes arrays, so a chunk is copied in and out.
/// </summary>
/// <remarks>
/// <c>crypto_pwhash</c> is called directly in the libsodium Sodium.Core ships: Sodium.Core refuses fewer than 3
/// passes, but upstream's <c>OpsLimit.MIN</c> (1) and <c>INTERACTIVE</c> (2) are valid files to read.
/// </remarks>
internal static partial class SecretBox
{
    public const int KeyBytes = 32;
    public const int NonceBytes = 24;
    public const int MacBytes = 16;

    /// <summary>Decrypts <paramref name="data"/> in place; false (data untouched) when the MAC does not authenticate it.</summary>
    public static bool TryOpenDetached(Span<byte> data, byte[] mac, byte[] nonce, byte[] key)
    {
        byte[] plain;
        try
        {
            plain = Sodium.SecretBox.OpenDetached(data.ToArray(), mac, nonce, key);
        }
        catch (CryptographicException)
        {
            return false;
        }

        plain.CopyTo(data);
        return true;
    }

    /// <summary>Encrypts <paramref name="data"/> into <paramref name="cipher"/> (same length); returns the MAC.</summary>
    public static byte[] CreateDetached(ReadOnlySpan<byte> data, Span<byte> cipher, byte[] nonce, byte[] key)
    {
        var box = Sodium.SecretBox.CreateDetached(data.ToArray(), nonce, key);
        box.CipherText.CopyTo(cipher);
        return box.Mac;
    }

    /// <summary>The nonce of chunk <paramref name="index"/>: the first incremented that many times, as upstream does.</summary>
    public static byte[] ChunkNonce(byte[] first, int index)
    {
        var nonce = (byte[])first.Clone();
        // sodium_increment adds one to a little-endian integer; adding the index at once is the same.
        var carry = (ulong)index;
        for (var i = 0; i < nonce.Length && carry != 0; i++)
        {
            carry += nonce[i];
            nonce[i] = (byte)carry;
            carry >>= 8;
        }

        return nonce;
    }

    public static byte[] RandomBytes(int count) => RandomNumberGenerator.GetBytes(count);

    /// <summary><c>crypto_pwhash</c> with Argon2id13, as upstream's <c>EncryptionParams.from_string</c>.</summary>
    public static byte[] DerivePassphraseKey(byte[] passphrase, PasswordHashParameters parameters)
    {
        if (parameters.MemLimit > int.MaxValue || parameters.OpsLimit > long.MaxValue)
        {
            throw new Format.TensorizerUnsupportedException(
                $"Passphrase key derivation asks for {parameters.MemLimit} bytes of memory and {parameters.OpsLimit} passes; at most 2 GiB is supported.");
        }

        if (parameters.Salt.Length != SaltBytes)
        {
            throw new Format.TensorizerFormatException($"The passphrase salt is {parameters.Salt.Length} bytes; libsodium's is {SaltBytes}.");
        }

        Sodium.SodiumCore.Init();
        var key = new byte[KeyBytes];
        var result = CryptoPwhash(key, KeyBytes, passphrase, (ulong)passphrase.Length, parameters.Salt, parameters.OpsLimit, (nuint)parameters.MemLimit, parameters.Algorithm);
        return result == 0 ? key
            : throw new Format.TensorizerUnsupportedException(
                $"Passphrase key derivation failed (limits {parameters.OpsLimit} passes, {parameters.MemLimit} bytes: out of range or out of memory).");
    }

    public const int SaltBytes = 16;

    [System.Runtime.InteropServices.LibraryImport("libsodium", EntryPoint = "crypto_pwhash")]
    private static partial int CryptoPwhash(
        byte[] output, ulong outputLength, byte[] password, ulong passwordLength, byte[] salt, ulong opsLimit, nuint memLimit, int algorithm);
}
