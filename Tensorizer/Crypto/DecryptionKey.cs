using System.Collections.Concurrent;
using System.Text;

namespace Tensorizer.Crypto;

/// <summary>
/// What decrypts a file: either the raw 32-byte key (what upstream's <c>EncryptionParams.random()</c> makes and
/// vLLM's <c>encryption_keyfile</c> holds) or a passphrase, from which each tensor's key is derived with the
/// Argon2id parameters and salt stored in its crypt info (upstream's <c>from_string</c>).
/// </summary>
public sealed class DecryptionKey
{
    /// <summary>Environment variable naming a file that holds the raw 32-byte key.</summary>
    public const string KeyFileVariable = "TENSORIZER_KEY_FILE";

    /// <summary>Environment variable naming a file that holds the passphrase (UTF-8).</summary>
    public const string PassphraseFileVariable = "TENSORIZER_PASSPHRASE_FILE";

    private readonly byte[]? _key;
    private readonly byte[]? _passphrase;

    // Argon2id costs up to seconds and hundreds of MiB: derive once per parameter set, not per tensor.
    private readonly ConcurrentDictionary<string, Lazy<byte[]>> _derived = new(StringComparer.Ordinal);

    private DecryptionKey(byte[]? key, byte[]? passphrase)
    {
        _key = key;
        _passphrase = passphrase;
    }

    public bool IsPassphrase => _passphrase is not null;

    public static DecryptionKey FromKey(ReadOnlySpan<byte> key) => key.Length == SecretBox.KeyBytes
        ? new DecryptionKey(key.ToArray(), null)
        : throw new ArgumentException($"An encryption key is exactly {SecretBox.KeyBytes} raw bytes; this one has {key.Length}. Use a passphrase for text.", nameof(key));

    public static DecryptionKey FromPassphrase(string passphrase) => string.IsNullOrEmpty(passphrase)
        ? throw new ArgumentException("The passphrase is empty.", nameof(passphrase))
        : new DecryptionKey(null, Encoding.UTF8.GetBytes(passphrase));

    /// <summary>Reads a raw 32-byte key file (binary, as upstream and vLLM write it).</summary>
    public static DecryptionKey FromKeyFile(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return bytes.Length == SecretBox.KeyBytes
            ? new DecryptionKey(bytes, null)
            : throw new ArgumentException($"Key file {path} holds {bytes.Length} bytes; a key file holds exactly {SecretBox.KeyBytes} raw bytes (use a passphrase file for text).");
    }

    /// <summary>Reads a passphrase file as UTF-8; one trailing line break (as <c>echo</c> leaves) is not part of it.</summary>
    public static DecryptionKey FromPassphraseFile(string path)
    {
        var text = File.ReadAllText(path, Encoding.UTF8);
        text = text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('\n') ? text[..^1] : text;
        return FromPassphrase(text);
    }

    /// <summary>A key from the given files, at most one of them set (the CLI's options or the environment's).</summary>
    public static DecryptionKey? FromFiles(string? keyFile, string? passphraseFile) =>
        (string.IsNullOrEmpty(keyFile), string.IsNullOrEmpty(passphraseFile)) switch
        {
            (true, true) => null,
            (false, true) => FromKeyFile(keyFile!),
            (true, false) => FromPassphraseFile(passphraseFile!),
            _ => throw new ArgumentException("Give either a key file or a passphrase file, not both."),
        };

    /// <summary>The key named by <c>TENSORIZER_KEY_FILE</c> or <c>TENSORIZER_PASSPHRASE_FILE</c>, if either is set.</summary>
    public static DecryptionKey? FromEnvironment() =>
        FromFiles(Environment.GetEnvironmentVariable(KeyFileVariable), Environment.GetEnvironmentVariable(PassphraseFileVariable));

    /// <summary>The secretbox key for a tensor with this crypt info.</summary>
    internal byte[] KeyFor(CryptInfo info, string tensorName)
    {
        if (_key is not null)
        {
            return _key; // a raw key decrypts whether or not the file also says how it was derived, as upstream
        }

        if (info.KeyDerivation is not { } parameters)
        {
            throw new TensorDecryptionException(tensorName, DecryptionFailure.KeyMismatch,
                $"Tensor '{tensorName}' was encrypted with a raw key, not a passphrase; give the 32-byte key file instead.");
        }

        if (parameters.Algorithm != PasswordHashParameters.Argon2id13)
        {
            throw new Format.TensorizerUnsupportedException($"Tensor '{tensorName}': unsupported passphrase hash algorithm {parameters.Algorithm}.");
        }

        return _derived.GetOrAdd(parameters.CacheKey, _ => new Lazy<byte[]>(() => SecretBox.DerivePassphraseKey(_passphrase!, parameters))).Value;
    }
}
