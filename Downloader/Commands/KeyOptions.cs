using System.CommandLine;
using Tensorizer.Crypto;

namespace Downloader.Commands;

/// <summary>
/// <c>--key-file</c> / <c>--passphrase-file</c> for commands that read tensor data; without either, the files named by
/// <c>TENSORIZER_KEY_FILE</c> / <c>TENSORIZER_PASSPHRASE_FILE</c>. Plain files need neither.
/// </summary>
internal sealed class KeyOptions
{
    private readonly Option<string?> _keyFile = new("--key-file")
    {
        Description = $"File holding the raw 32-byte key of an encrypted file (default: ${DecryptionKey.KeyFileVariable}).",
    };

    private readonly Option<string?> _passphraseFile = new("--passphrase-file")
    {
        Description = $"File holding the passphrase of an encrypted file, UTF-8 (default: ${DecryptionKey.PassphraseFileVariable}).",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_keyFile);
        command.Options.Add(_passphraseFile);
    }

    /// <summary>The key the command line names, else the environment's, else none.</summary>
    public DecryptionKey? Resolve(ParseResult parse)
    {
        var keyFile = parse.GetValue(_keyFile);
        var passphraseFile = parse.GetValue(_passphraseFile);
        return keyFile is null && passphraseFile is null ? DecryptionKey.FromEnvironment() : DecryptionKey.FromFiles(keyFile, passphraseFile);
    }
}
