using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Models;
using Models.TinyModel;
using Tensorizer.Crypto;
using Tensorizer.Reading;
using Tensorizer.Writing;

namespace Inference.Tests;

/// <summary>An encrypted model.tensors is served with its key from TENSORIZER_KEY_FILE, and refused without it.</summary>
public sealed class EncryptedModelTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("encrypted-model-").FullName;
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    private string KeyFile => Path.Combine(_folder, "..", Path.GetFileName(_folder) + ".key");

    public async Task InitializeAsync()
    {
        // The tiny model, its weights rewritten encrypted exactly as upstream tensorizer encrypts them.
        await TinyGptj.WriteAsync(_folder);
        var path = Path.Combine(_folder, ModelFolder.TensorsFile);
        IReadOnlyDictionary<string, byte[]> data;
        List<TensorToWrite> tensors;
        await using (var plain = await TensorFile.OpenAsync(path))
        {
            data = await plain.ReadBytesAsync();
            tensors = [.. plain.Index.Select(e => TensorToWrite.StateDict(e.Name.Text, e.Dtype.ElementType, e.Shape, data[e.Name.Text]))];
        }

        await TensorWriter.WriteFileAsync(path, tensors, TensorEncryption.FromKey(_key));
        await File.WriteAllBytesAsync(KeyFile, _key);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        File.Delete(KeyFile);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task With_its_key_the_service_loads_and_generates()
    {
        await using var server = await InferenceServer.StartAsync(new() { ["MODEL_PATH"] = _folder, [DecryptionKey.KeyFileVariable] = KeyFile });
        var response = await server.Client.PostAsJsonAsync("/v1/models/gptj:predict", new { instances = new[] { "Hello" }, parameters = new { max_new_tokens = 4 } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Without_a_key_the_load_fails_saying_a_key_is_needed()
    {
        await using var server = await InferenceServer.StartAsync(new() { ["MODEL_PATH"] = _folder }, waitUntilReady: false);
        var status = await server.WaitForPhaseAsync("failed", "ready");

        Assert.Equal("failed", status.GetProperty("phase").GetString());
        Assert.Contains("key", status.GetProperty("error").GetString()!, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_missing_key_file_stops_the_start()
    {
        await using var app = Startup.Build(["--urls", "http://127.0.0.1:0"], builder => builder.Configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["MODEL_PATH"] = _folder, [DecryptionKey.KeyFileVariable] = "/nonexistent/key" }));
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("/nonexistent/key", e.Message, StringComparison.Ordinal);
        Assert.Contains(DecryptionKey.KeyFileVariable, e.Message, StringComparison.Ordinal);
    }
}
