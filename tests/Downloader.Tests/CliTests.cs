using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Downloader.Tests;

/// <summary>The CLI as users run it: a separate process, its output and its exit code.</summary>
public class CliTests
{
    [Fact]
    public async Task Demo_writes_and_loads_the_embedded_model_and_inspect_and_verify_read_it()
    {
        var dir = Directory.CreateTempSubdirectory("downloader-cli-").FullName;
        try
        {
            var demo = await RunAsync("demo", "--output", dir);
            Assert.True(demo.ExitCode == 0, demo.Output);
            Assert.Contains("all hashes match", demo.Output, StringComparison.Ordinal);
            Assert.Contains("{\"predictions\":[\"Once upon a time, there was", demo.Output, StringComparison.Ordinal);
            Assert.Equal(["config.json", "merges.txt", "model.tensors", "vocab.json"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
            var model = Path.Combine(dir, "model.tensors");

            var inspect = await RunAsync("inspect", model, "--json");
            Assert.Equal(0, inspect.ExitCode);
            using var json = JsonDocument.Parse(inspect.Output);
            Assert.Equal(1, json.RootElement.GetProperty("version").GetInt32());
            var wte = json.RootElement.GetProperty("tensors")[0];
            Assert.Equal("transformer.wte.weight", wte.GetProperty("name").GetString());
            Assert.Equal("state_dict", wte.GetProperty("type").GetString());
            Assert.Equal("<f2", wte.GetProperty("dtype").GetString());
            Assert.Equal([50400, 64], wte.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
            Assert.Equal(25, json.RootElement.GetProperty("tensorCount").GetInt32()); // wte, 2 × 10 per block, ln_f and lm_head pairs
            Assert.Equal(64, wte.GetProperty("hashes").GetProperty("sha256").GetString()!.Length);

            Assert.Equal(0, (await RunAsync("verify", model)).ExitCode);

            // Flip one data byte: verify names the tensor and fails with exit code 1.
            await using (var stream = new FileStream(model, FileMode.Open, FileAccess.ReadWrite))
            {
                stream.Position = wte.GetProperty("dataOffset").GetInt64() + 10;
                var b = stream.ReadByte();
                stream.Position--;
                stream.WriteByte((byte)(b ^ 1));
            }

            var verify = await RunAsync("verify", model);
            Assert.Equal(1, verify.ExitCode);
            Assert.Contains("'transformer.wte.weight' failed", verify.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Bad_input_is_a_clear_error_with_exit_code_2()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(path, "not a tensorizer file at all, just text that is long enough to hold a header......");
            var result = await RunAsync("inspect", path);
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("magic", result.Error, StringComparison.Ordinal);

            Assert.Equal(2, (await RunAsync("verify", path + ".missing")).ExitCode);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The Downloader's own build output, <c>downloader.dll</c>, where the build put it.</summary>
    internal static string Cli { get; } = typeof(CliTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "DownloaderAssembly").Value!;

    internal static Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    internal static async Task<(int ExitCode, string Output, string Error)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(Cli);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await output, await error);
    }
}
