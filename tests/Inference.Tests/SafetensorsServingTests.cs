using System.Net.Http.Json;
using System.Text.Json;
using Amazon.S3.Model;
using Checkpoints.Conversion;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tensorizer.Configuration;
using static Inference.Tests.OpenAIClient;

namespace Inference.Tests;

/// <summary>
/// The tiny GPT-J as Hugging Face publishes a checkpoint (sharded fp32 safetensors with their index, config and
/// tokenizer), served with no conversion step from a folder, an S3 prefix (moto), an HTTP base URL and a hub on
/// loopback (<c>hf://</c> with <c>HF_ENDPOINT</c>, <c>modelscope://</c> with <c>MODELSCOPE_ENDPOINT</c>): every one
/// answers the same greedy tokens as the same checkpoint converted to <c>.tensors</c>, and reports the same load
/// telemetry.
/// </summary>
public sealed class SafetensorsServingTests(MotoServerFixture moto) : IClassFixture<MotoServerFixture>
{
    private const string Prompt = "The quick brown fox";

    private static async Task<(string Text, JsonElement Status)> CompleteAsync(Dictionary<string, string?> settings)
    {
        await using var server = await InferenceServer.StartAsync(settings);
        var (status, json) = await PostAsync(server, "/openai/v1/completions", JsonSerializer.Serialize(new { model = "gptj", prompt = Prompt, max_tokens = 8, temperature = 0 }));
        Assert.Equal(200, status);
        var load = await server.Client.GetFromJsonAsync<JsonElement>("/status");
        return (json.GetProperty("choices")[0].GetProperty("text").GetString()!, load);
    }

    private static async Task<(string Checkpoint, string Expected)> CheckpointAndConvertedAnswerAsync(TempDirectory root)
    {
        var checkpoint = root.File("checkpoint");
        await TinyCheckpoint.WriteShardedSafetensorsAsync(root.File("original"), checkpoint);
        var converted = root.File("converted");
        await ModelConverter.ConvertAsync(new ConversionRequest { Source = checkpoint, Output = converted, Dtype = "keep" });
        var (expected, _) = await CompleteAsync(new() { [SettingNames.ModelPath] = converted });
        Assert.NotEqual("", expected);
        return (checkpoint, expected);
    }

    private static void AssertTelemetry(JsonElement status, string checkpoint)
    {
        Assert.Equal("ready", status.GetProperty("phase").GetString());
        var total = Directory.GetFiles(checkpoint, "*.safetensors").Sum(f => new FileInfo(f).Length);
        Assert.InRange(status.GetProperty("bytesRead").GetInt64(), 1, total);
        Assert.Equal(status.GetProperty("bytesRead").GetInt64(), status.GetProperty("totalBytes").GetInt64());
        Assert.Contains(status.GetProperty("stages").EnumerateArray(), s => s.GetProperty("stage").GetString() == "read");
    }

    [Fact]
    public async Task A_safetensors_folder_serves_the_same_tokens_as_its_converted_tensors()
    {
        using var root = new TempDirectory("serve-safetensors-folder-");
        var (checkpoint, expected) = await CheckpointAndConvertedAnswerAsync(root);

        var (text, status) = await CompleteAsync(new() { [SettingNames.ModelPath] = checkpoint });

        Assert.Equal(expected, text);
        AssertTelemetry(status, checkpoint);
        Assert.EndsWith("model.safetensors.index.json", status.GetProperty("location").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bf16_checkpoint_is_cast_while_read_to_the_service_dtype_and_answers_as_its_bf16_conversion()
    {
        using var root = new TempDirectory("serve-safetensors-bf16-");
        var fp32 = root.File("fp32");
        await TinyCheckpoint.WriteShardedSafetensorsAsync(root.File("original"), fp32);
        // The same checkpoint in bf16, as many are published: each shard's tensors cast as the converter casts.
        var bf16 = root.File("bf16");
        Directory.CreateDirectory(bf16);
        foreach (var file in Directory.GetFiles(fp32))
        {
            if (!file.EndsWith(".safetensors", StringComparison.Ordinal))
            {
                File.Copy(file, Path.Combine(bf16, Path.GetFileName(file)));
                continue;
            }

            await using var shard = await Tensorizer.Reading.SafetensorsCheckpoint.OpenAsync(file);
            var bytes = await shard.ReadBytesAsync();
            Checkpoints.Formats.SafetensorsWriter.Write(Path.Combine(bf16, Path.GetFileName(file)), shard.Tensors.Select(t =>
            {
                var cast = new byte[t.ElementCount * 2];
                Tensorizer.Casting.ElementCasts.Cast(bytes[t.Name.Text], t.Dtype.ElementType, cast, Tensorizer.Format.TensorElementType.BFloat16);
                return (t.Name.Text, "BF16", t.Shape.ToArray(), cast);
            }));
        }

        var converted = root.File("converted");
        await ModelConverter.ConvertAsync(new ConversionRequest { Source = bf16, Output = converted, Dtype = "keep" });
        var (expected, _) = await CompleteAsync(new() { [SettingNames.ModelPath] = converted, [SettingNames.Dtype] = "float32" });

        var (text, status) = await CompleteAsync(new() { [SettingNames.ModelPath] = bf16, [SettingNames.Dtype] = "float32" });

        Assert.Equal(expected, text);
        Assert.Equal(Directory.GetFiles(bf16, "*.safetensors").Sum(f => new FileInfo(f).Length) - Directory.GetFiles(bf16, "*.safetensors").Sum(HeaderBytes), status.GetProperty("totalBytes").GetInt64());
    }

    /// <summary>The length prefix and JSON header of a safetensors file: what is not tensor data.</summary>
    private static long HeaderBytes(string file)
    {
        using var stream = File.OpenRead(file);
        var prefix = new byte[8];
        stream.ReadExactly(prefix);
        return 8 + BitConverter.ToInt64(prefix);
    }

    [Fact]
    public async Task A_folder_with_both_formats_serves_model_tensors()
    {
        using var root = new TempDirectory("serve-both-");
        var (checkpoint, expected) = await CheckpointAndConvertedAnswerAsync(root);
        File.Copy(Path.Combine(root.File("converted"), "model.tensors"), Path.Combine(checkpoint, "model.tensors"));

        var (text, status) = await CompleteAsync(new() { [SettingNames.ModelPath] = checkpoint });

        Assert.Equal(expected, text);
        Assert.EndsWith("model.tensors", status.GetProperty("location").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_s3_prefix_of_safetensors_shards_serves_the_same_tokens_streamed_from_s3()
    {
        using var root = new TempDirectory("serve-safetensors-s3-");
        var (checkpoint, expected) = await CheckpointAndConvertedAnswerAsync(root);
        using var client = moto.CreateClient();
        var bucket = await MotoServerFixture.CreateBucketAsync(client);
        foreach (var file in Directory.GetFiles(checkpoint))
        {
            await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "hf/tiny/" + Path.GetFileName(file), FilePath = file });
        }

        var (text, status) = await CompleteAsync(new()
        {
            [SettingNames.ModelPath] = $"s3://{bucket}/hf/tiny/",
            ["AWS_ENDPOINT_URL"] = moto.Endpoint.AbsoluteUri,
            ["AWS_ACCESS_KEY_ID"] = "testing",
            ["AWS_SECRET_ACCESS_KEY"] = "testing",
        });

        Assert.Equal(expected, text);
        AssertTelemetry(status, checkpoint);
        Assert.Equal($"s3://{bucket}/hf/tiny/model.safetensors.index.json", status.GetProperty("location").GetString());
    }

    [Fact]
    public async Task An_http_base_url_of_safetensors_shards_serves_the_same_tokens()
    {
        using var root = new TempDirectory("serve-safetensors-http-");
        var (checkpoint, expected) = await CheckpointAndConvertedAnswerAsync(root);
        await using var files = await StubServer.StartAsync(app => app.MapGet("/models/tiny/{file}", (string file) =>
            File.Exists(Path.Combine(checkpoint, file))
                ? Results.Bytes(File.ReadAllBytes(Path.Combine(checkpoint, file)), "application/octet-stream", enableRangeProcessing: true)
                : Results.NotFound()));

        var (text, status) = await CompleteAsync(new() { [SettingNames.ModelPath] = new Uri(files.Address, "/models/tiny/").AbsoluteUri });

        Assert.Equal(expected, text);
        AssertTelemetry(status, checkpoint);
    }

    [Theory]
    [InlineData("hf", "HF_ENDPOINT")]
    [InlineData("modelscope", "MODELSCOPE_ENDPOINT")]
    public async Task A_hub_repository_streams_its_shards_at_load_time_and_serves_the_same_tokens(string scheme, string endpointSetting)
    {
        using var root = new TempDirectory("serve-safetensors-hub-");
        var (checkpoint, expected) = await CheckpointAndConvertedAnswerAsync(root);
        await using var hub = await HubServer.StartAsync();
        hub.AddRepository("tiny-org/tiny-gptj", "0123456789abcdef0123456789abcdef01234567", checkpoint);
        hub.RequiredToken = "hub-token";

        var (text, status) = await CompleteAsync(new()
        {
            [SettingNames.ModelPath] = $"{scheme}://tiny-org/tiny-gptj",
            [endpointSetting] = hub.Endpoint.AbsoluteUri,
            ["HF_TOKEN"] = "hub-token",
            ["MODELSCOPE_API_TOKEN"] = "hub-token",
        });

        Assert.Equal(expected, text);
        AssertTelemetry(status, checkpoint);
        var requests = hub.Requests.ToList();
        // The shards were streamed with ranged requests, none downloaded whole.
        Assert.Contains(requests, r => r.Contains("safetensors", StringComparison.Ordinal) && r.Contains("range=bytes=", StringComparison.Ordinal) && !r.Contains("range=bytes=0-0", StringComparison.Ordinal));
        Assert.DoesNotContain(requests, r => r.Contains(".safetensors", StringComparison.Ordinal) && !r.Contains(".index.json", StringComparison.Ordinal) && r.Contains("range= ", StringComparison.Ordinal));
        if (scheme == "hf")
        {
            // The revision is resolved once; every file comes from that commit.
            Assert.Single(requests, r => r.Contains("/api/models/", StringComparison.Ordinal));
            Assert.All(requests.Where(r => r.Contains("/resolve/", StringComparison.Ordinal)), r => Assert.Contains("/resolve/0123456789abcdef", r, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_model_path_of_an_unknown_scheme_or_a_bad_repository_stops_the_service_at_start()
    {
        foreach (var path in new[] { "ftp://host/model/", "hf://not a repo" })
        {
            var e = await Assert.ThrowsAnyAsync<Exception>(() => InferenceServer.StartAsync(new() { [SettingNames.ModelPath] = path }));
            Assert.Contains(SettingNames.ModelPath, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Verify_hashes_on_safetensors_fails_the_load_saying_why()
    {
        using var root = new TempDirectory("serve-safetensors-verify-");
        var checkpoint = root.File("checkpoint");
        await TinyCheckpoint.WriteShardedSafetensorsAsync(root.File("original"), checkpoint);
        await using var server = await InferenceServer.StartAsync(new() { [SettingNames.ModelPath] = checkpoint, [SettingNames.VerifyHashes] = "true" }, waitUntilReady: false);
        var status = await server.WaitForPhaseAsync("ready", "failed");
        Assert.Equal("failed", status.GetProperty("phase").GetString());
        Assert.Contains("no hashes", status.GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
