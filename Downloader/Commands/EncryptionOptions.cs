using System.CommandLine;
using Tensorizer.Crypto;

namespace Downloader.Commands;

/// <summary>
/// <c>--encrypt-key-file</c> / <c>--encrypt-passphrase-file</c> for <c>convert</c>, defaulting (as a Kubernetes Job)
/// to the files named by <c>ENCRYPT_KEY_FILE</c> / <c>ENCRYPT_PASSPHRASE_FILE</c>; neither writes a plain file.
/// </summary>
internal sealed class EncryptionOptions
{
    public const string KeyFileVariable = Tensorizer.Configuration.SettingNames.EncryptKeyFile;

    public const string PassphraseFileVariable = Tensorizer.Configuration.SettingNames.EncryptPassphraseFile;

    private readonly Option<string?> _keyFile = new("--encrypt-key-file")
    {
        Description = $"Encrypt model.tensors with the raw 32-byte key in this file, as tensorizer and vLLM read it (env {KeyFileVariable}).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(KeyFileVariable),
    };

    private readonly Option<string?> _passphraseFile = new("--encrypt-passphrase-file")
    {
        Description = $"Encrypt model.tensors with a key derived (Argon2id) from the UTF-8 passphrase in this file (env {PassphraseFileVariable}).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(PassphraseFileVariable),
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_keyFile);
        command.Options.Add(_passphraseFile);
    }

    /// <summary>The encryption the options (or their variables) name, or null to write plain.</summary>
    public TensorEncryption? Resolve(ParseResult parse) => TensorEncryption.FromFiles(parse.GetValue(_keyFile), parse.GetValue(_passphraseFile));
}
