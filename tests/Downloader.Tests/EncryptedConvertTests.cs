using System.Security.Cryptography;

namespace Downloader.Tests;

/// <summary><c>convert --encrypt-key-file</c> / <c>ENCRYPT_PASSPHRASE_FILE</c>: outputs that verify only with their key, inspect without one.</summary>
public sealed class EncryptedConvertTests : IDisposable
{
    private readonly TempDirectory _root = new("downloader-encconv-");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task A_key_file_encrypts_the_output_which_verifies_only_with_that_key()
    {
        var keyFile = _root.File("key");
        var wrongKeyFile = _root.File("wrong");
        await File.WriteAllBytesAsync(keyFile, RandomNumberGenerator.GetBytes(32));
        await File.WriteAllBytesAsync(wrongKeyFile, RandomNumberGenerator.GetBytes(32));
        var output = _root.File("gptj");
        var model = Path.Combine(output, "model.tensors");

        var convert = await CliTests.RunAsync("convert", "--source", "builtin://tiny-gptj", "--output", output, "--encrypt-key-file", keyFile);
        Assert.True(convert.ExitCode == 0, convert.Error + convert.Output);
        Assert.Contains("(encrypted)", convert.Output, StringComparison.Ordinal);

        Assert.Equal(0, (await CliTests.RunAsync("inspect", model)).ExitCode);
        var verified = await CliTests.RunAsync("verify", model, "--key-file", keyFile);
        Assert.True(verified.ExitCode == 0, verified.Error + verified.Output);
        var noKey = await CliTests.RunAsync("verify", model);
        Assert.Equal(2, noKey.ExitCode);
        Assert.Contains("is encrypted", noKey.Error + noKey.Output, StringComparison.Ordinal);
        var wrong = await CliTests.RunAsync("verify", model, "--key-file", wrongKeyFile);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("failed authentication", wrong.Output, StringComparison.Ordinal);

        var again = await CliTests.RunAsync("convert", "--source", "builtin://tiny-gptj", "--output", output, "--encrypt-key-file", keyFile);
        Assert.Contains("already complete", again.Output, StringComparison.Ordinal);
        var rekeyed = await CliTests.RunAsync("convert", "--source", "builtin://tiny-gptj", "--output", output, "--encrypt-key-file", wrongKeyFile);
        Assert.Contains("(encrypted)", rekeyed.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await CliTests.RunAsync("verify", model, "--key-file", wrongKeyFile)).ExitCode);
    }

    [Fact]
    public async Task A_job_encrypts_with_the_passphrase_file_its_environment_names()
    {
        var passphraseFile = _root.File("passphrase");
        await File.WriteAllTextAsync(passphraseFile, "correct horse battery staple\n");
        var output = _root.File("job");
        var environment = new Dictionary<string, string>
        {
            ["SOURCE"] = "builtin://tiny-gptj",
            ["OUTPUT"] = output,
            ["ENCRYPT_PASSPHRASE_FILE"] = passphraseFile,
        };
        var convert = await CliTests.RunAsync(environment, "convert");
        Assert.True(convert.ExitCode == 0, convert.Error + convert.Output);
        Assert.Contains("(encrypted)", convert.Output, StringComparison.Ordinal);
        var model = Path.Combine(output, "model.tensors");
        Assert.Equal(0, (await CliTests.RunAsync("verify", model, "--passphrase-file", passphraseFile)).ExitCode);
        Assert.Equal(2, (await CliTests.RunAsync("verify", model)).ExitCode);
    }

    [Fact]
    public async Task Both_a_key_and_a_passphrase_or_a_short_key_file_are_refused_before_converting()
    {
        var keyFile = _root.File("key");
        await File.WriteAllBytesAsync(keyFile, RandomNumberGenerator.GetBytes(16));
        var output = _root.File("refused");
        var shortKey = await CliTests.RunAsync("convert", "--source", "builtin://tiny-gptj", "--output", output, "--encrypt-key-file", keyFile);
        Assert.Equal(2, shortKey.ExitCode);
        Assert.Contains("exactly 32 raw bytes", shortKey.Error, StringComparison.Ordinal);
        var both = await CliTests.RunAsync("convert", "--source", "builtin://tiny-gptj", "--output", output, "--encrypt-key-file", keyFile, "--encrypt-passphrase-file", keyFile);
        Assert.Equal(2, both.ExitCode);
        Assert.False(Directory.Exists(output));
    }
}
