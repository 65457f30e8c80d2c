using System.Text.Json;

namespace Downloader.Tests;

/// <summary>The embedded tiny GPT-J (25 tensors, <c>lm_head.bias</c> last) converted once, copied by each test.</summary>
public sealed class TinyModelFile : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("downloader-accounting-").FullName;

    public string Path => System.IO.Path.Combine(_root, "model", "model.tensors");

    public async Task InitializeAsync()
    {
        var convert = await CliTests.RunAsync("convert", "--source", "builtin://tiny-gptj", "--output", System.IO.Path.Combine(_root, "model"), "--dtype", "float16");
        Assert.True(convert.ExitCode == 0, convert.Error + convert.Output);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    public string CopyTo(string name)
    {
        var copy = System.IO.Path.Combine(_root, name);
        File.Copy(Path, copy, overwrite: true);
        return copy;
    }
}

/// <summary><c>verify</c> accounts for every byte (exit 2 otherwise, as for any malformed file); <c>inspect</c> warns.</summary>
public sealed class AccountingCliTests(TinyModelFile model) : IClassFixture<TinyModelFile>
{
    [Fact]
    public async Task A_converted_file_verifies_whole_with_its_terminator()
    {
        var verify = await CliTests.RunAsync("verify", model.Path);
        Assert.True(verify.ExitCode == 0, verify.Output + verify.Error);
        Assert.Contains("OK: 25 tensors", verify.Output, StringComparison.Ordinal);
        Assert.Contains("every byte accounted for", verify.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("no terminator", verify.Output, StringComparison.Ordinal);

        using var json = await InspectJsonAsync(model.Path);
        Assert.True(json.RootElement.GetProperty("terminator").GetBoolean());
        Assert.Equal(0, json.RootElement.GetProperty("unaccounted").GetArrayLength());
    }

    [Fact]
    public async Task A_tensor_count_flipped_from_25_to_24_fails_verify_and_inspect_warns_naming_the_dropped_tensor()
    {
        var path = model.CopyTo("flipped.tensors");
        await using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = 57; // the tensor count, little-endian
            Assert.Equal(25, stream.ReadByte());
            stream.Position = 57;
            stream.WriteByte(24);
        }

        var verify = await CliTests.RunAsync("verify", path);
        Assert.True(verify.ExitCode == 2, verify.Output + verify.Error);
        Assert.Contains("UNACCOUNTED bytes", verify.Output, StringComparison.Ordinal);
        Assert.Contains("a header for a tensor 'lm_head.bias' that the index does not list", verify.Output, StringComparison.Ordinal);
        Assert.Contains("the tensor count may be too low", verify.Output, StringComparison.Ordinal);
        Assert.Contains("FAILED: 3 byte ranges", verify.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("OK:", verify.Output, StringComparison.Ordinal);

        var inspect = await CliTests.RunAsync("inspect", path);
        Assert.Equal(0, inspect.ExitCode);
        Assert.Contains("WARNING: unaccounted bytes", inspect.Output, StringComparison.Ordinal);
        Assert.Contains("'lm_head.bias'", inspect.Output, StringComparison.Ordinal);

        using var json = await InspectJsonAsync(path);
        Assert.Equal(24, json.RootElement.GetProperty("tensorCount").GetInt32());
        var reasons = json.RootElement.GetProperty("unaccounted").EnumerateArray().Select(u => u.GetProperty("reason").GetString()!).ToList();
        Assert.Equal(3, reasons.Count);
        Assert.Contains(reasons, r => r.Contains("'lm_head.bias'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sixty_four_MiB_of_garbage_appended_fails_verify()
    {
        var path = model.CopyTo("appended.tensors");
        var original = new FileInfo(path).Length;
        var garbage = new byte[64 << 20];
        new Random(15).NextBytes(garbage);
        await using (var stream = new FileStream(path, FileMode.Append))
        {
            await stream.WriteAsync(garbage);
        }

        var verify = await CliTests.RunAsync("verify", path);
        Assert.True(verify.ExitCode == 2, verify.Output + verify.Error);
        Assert.Contains($"UNACCOUNTED bytes {original}..{original + garbage.Length} ({garbage.Length} bytes): after the terminator", verify.Output, StringComparison.Ordinal);

        using var json = await InspectJsonAsync(path);
        var unaccounted = Assert.Single(json.RootElement.GetProperty("unaccounted").EnumerateArray());
        Assert.Equal(original, unaccounted.GetProperty("offset").GetInt64());
        Assert.Equal(garbage.Length, unaccounted.GetProperty("length").GetInt64());
    }

    [Fact]
    public async Task A_file_without_the_terminator_verifies_with_a_note()
    {
        var path = model.CopyTo("unterminated.tensors");
        Truncate(path, 8); // as this project wrote files before the terminator

        var verify = await CliTests.RunAsync("verify", path);
        Assert.True(verify.ExitCode == 0, verify.Output + verify.Error);
        Assert.Contains("OK: 25 tensors", verify.Output, StringComparison.Ordinal);
        Assert.Contains("no terminator after the last tensor", verify.Output, StringComparison.Ordinal);
        var inspect = await CliTests.RunAsync("inspect", path);
        Assert.Contains("note: no terminator after the last tensor", inspect.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("WARNING", inspect.Output, StringComparison.Ordinal);

        using var json = await InspectJsonAsync(path);
        Assert.False(json.RootElement.GetProperty("terminator").GetBoolean());
        Assert.Equal(0, json.RootElement.GetProperty("unaccounted").GetArrayLength());
    }

    [Fact]
    public async Task A_truncated_terminator_fails_verify()
    {
        var path = model.CopyTo("truncated.tensors");
        Truncate(path, 5);

        var verify = await CliTests.RunAsync("verify", path);
        Assert.True(verify.ExitCode == 2, verify.Output + verify.Error);
        Assert.Contains("a truncated terminator after the last indexed tensor 'lm_head.bias': 3 of 8 zero bytes", verify.Output, StringComparison.Ordinal);
    }

    private static void Truncate(string path, int bytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.SetLength(stream.Length - bytes);
    }

    private static async Task<JsonDocument> InspectJsonAsync(string path)
    {
        var inspect = await CliTests.RunAsync("inspect", path, "--json");
        Assert.True(inspect.ExitCode == 0, inspect.Output + inspect.Error);
        return JsonDocument.Parse(inspect.Output);
    }
}
