using System.Security.Cryptography;
using Tensorizer.Crypto;
using Tensorizer.Format;
using Tensorizer.Writing;

namespace Downloader.Tests;

/// <summary>Encrypted files on the command line: inspect without a key, verify with one from an option or the environment.</summary>
public class EncryptedCliTests
{
    [Fact]
    public async Task Inspect_needs_no_key_and_verify_takes_one_from_an_option_or_the_environment()
    {
        var dir = Directory.CreateTempSubdirectory("downloader-crypt-").FullName;
        try
        {
            var key = RandomNumberGenerator.GetBytes(32);
            var keyFile = Path.Combine(dir, "key");
            var wrongKeyFile = Path.Combine(dir, "wrong");
            await File.WriteAllBytesAsync(keyFile, key);
            await File.WriteAllBytesAsync(wrongKeyFile, RandomNumberGenerator.GetBytes(32));
            var model = Path.Combine(dir, "model.tensors");
            await TensorWriter.WriteFileAsync(model,
                [TensorToWrite.StateDict("w", TensorElementType.Float32, [1024], RandomNumberGenerator.GetBytes(4096))],
                TensorEncryption.FromKey(key));

            Assert.Equal(0, (await CliTests.RunAsync("inspect", model)).ExitCode);
            var noKey = await CliTests.RunAsync("verify", model);
            Assert.Equal(2, noKey.ExitCode);
            Assert.Contains("'w' is encrypted", noKey.Output + noKey.Error, StringComparison.Ordinal);
            Assert.Equal(0, (await CliTests.RunAsync("verify", model, "--key-file", keyFile)).ExitCode);
            var wrong = await CliTests.RunAsync("verify", model, "--key-file", wrongKeyFile);
            Assert.Equal(1, wrong.ExitCode);
            Assert.Contains("'w' failed authentication", wrong.Output, StringComparison.Ordinal);
            Assert.Equal(0, (await CliTests.RunAsync(new Dictionary<string, string> { [DecryptionKey.KeyFileVariable] = keyFile }, "verify", model)).ExitCode);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
