using Tensorizer.Format;

namespace Tensorizer.Crypto;

/// <summary>Why an encrypted tensor could not be decrypted.</summary>
public enum DecryptionFailure
{
    /// <summary>The tensor is encrypted and no key or passphrase was given.</summary>
    KeyRequired,

    /// <summary>A MAC did not authenticate the data: a wrong key or passphrase, or tampered ciphertext or crypt info.</summary>
    AuthenticationFailed,

    /// <summary>The key given does not fit the file: a passphrase for a raw-key file, or a key for a plain file or tensor.</summary>
    KeyMismatch,
}

/// <summary>An encrypted tensor (or file) could not be decrypted; names the tensor and says why.</summary>
public class TensorDecryptionException : TensorizerException
{
    public TensorDecryptionException(string tensorName, DecryptionFailure failure, string message)
        : base(message)
    {
        TensorName = tensorName;
        Failure = failure;
    }

    public TensorDecryptionException(string message) : base(message) => TensorName = "";

    public TensorDecryptionException(string message, Exception inner) : base(message, inner) => TensorName = "";

    public TensorDecryptionException() : this("Tensor decryption failed.") { }

    /// <summary>The tensor concerned; empty when the whole file is.</summary>
    public string TensorName { get; }

    public DecryptionFailure Failure { get; }
}
