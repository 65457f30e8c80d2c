using System.Security.Cryptography;
using Tensorizer.Crypto;

namespace Checkpoints.Outputs;

/// <summary>
/// How a completion marker records the output's encryption, never the secret: null for plain, <c>key:ID</c> for a raw
/// key (ID: 8 bytes of a domain-separated SHA-256 of a random 256-bit key, which reveals nothing usable), and
/// <c>passphrase</c> for a passphrase (no fingerprint: a hash of a passphrase could be guessed offline).
/// </summary>
internal static class EncryptionLabel
{
    public const string Passphrase = "passphrase";

    private static readonly byte[] Domain = "tensorizer-converter-key-id\0"u8.ToArray();

    public static string? Of(TensorEncryption? encryption) => encryption switch
    {
        null => null,
        { Derivation: not null } => Passphrase,
        _ => "key:" + KeyId(encryption.Key),
    };

    private static string KeyId(ReadOnlySpan<byte> key)
    {
        Span<byte> input = stackalloc byte[Domain.Length + key.Length];
        Domain.CopyTo(input);
        key.CopyTo(input[Domain.Length..]);
        return Convert.ToHexStringLower(SHA256.HashData(input)[..8]);
    }
}
