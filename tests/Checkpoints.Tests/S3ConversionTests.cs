using Amazon.S3;
using Amazon.S3.Model;
using Checkpoints.Conversion;
using Checkpoints.Outputs;
using Checkpoints.Sources;
using Tensorizer.Reading;
using Tensorizer.Sources.S3;
using S3Location = Tensorizer.Sources.S3.S3Location;

namespace Checkpoints.Tests;

/// <summary>A checkpoint under an S3 prefix converts to another S3 prefix (moto_server on 127.0.0.1), marker last.</summary>
public sealed class S3ConversionTests(MotoServerFixture moto) : IClassFixture<MotoServerFixture>, IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("checkpoints-s3-").FullName;
    private IAmazonS3 _client = null!;
    private string _bucket = null!;

    public async Task InitializeAsync()
    {
        _client = moto.CreateClient();
        _bucket = await MotoServerFixture.CreateBucketAsync(_client);
    }

    public Task DisposeAsync()
    {
        _client.Dispose();
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task An_S3_checkpoint_converts_to_an_S3_model_prefix_that_matches_a_local_conversion()
    {
        var original = Path.Combine(_root, "original");
        var checkpoint = Path.Combine(_root, "checkpoint");
        await TinyCheckpoint.WriteShardedSafetensorsAsync(original, checkpoint);
        foreach (var file in Directory.GetFiles(checkpoint))
        {
            await _client.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = $"hub/tiny-gptj/{Path.GetFileName(file)}", FilePath = file });
        }

        var settings = new SourceSettings { S3 = moto.Settings() };
        var output = $"s3://{_bucket}/models/gptj/";
        var request = new ConversionRequest { Source = $"s3://{_bucket}/hub/tiny-gptj/", Output = output, Settings = settings };
        var result = await ModelConverter.ConvertAsync(request);
        Assert.Equal(output, result.Output);

        var keys = (await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = "models/gptj/" })).S3Objects.Select(o => o.Key);
        Assert.Equal(
            ["models/gptj/" + CompletionMarker.FileName, "models/gptj/config.json", "models/gptj/merges.txt", "models/gptj/model.tensors", "models/gptj/vocab.json"],
            keys.Order(StringComparer.Ordinal));

        var local = Path.Combine(_root, "local");
        await ModelConverter.ConvertAsync(request with { Source = checkpoint, Output = local });
        await using var remote = await TensorFile.OpenAsync(await S3RangeSource.OpenAsync(_client, S3Location.Parse(output + "model.tensors")), ownsSource: true);
        Assert.Empty(await remote.VerifyAsync());
        var expected = await File.ReadAllBytesAsync(Path.Combine(local, "model.tensors"));
        var actual = new byte[remote.Source.Length];
        await remote.Source.ReadAsync(0, actual);
        Assert.Equal(expected, actual);

        Assert.True((await ModelConverter.ConvertAsync(request)).Skipped);
    }

    [Fact]
    public async Task An_encrypted_S3_output_decrypts_to_the_plain_local_conversion()
    {
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var output = $"s3://{_bucket}/models/encrypted/";
        var request = new ConversionRequest
        {
            Source = "builtin://tiny-gptj",
            Output = output,
            Dtype = "float32",
            Encryption = Tensorizer.Crypto.TensorEncryption.FromKey(key),
            DownloadFolder = Path.Combine(_root, "downloads"),
            Settings = new SourceSettings { S3 = moto.Settings() },
        };
        await ModelConverter.ConvertAsync(request);
        Assert.StartsWith("key:", (await CompletionMarker.ReadAsync(_client, S3Location.ParsePrefix(output), CancellationToken.None))!.Encryption, StringComparison.Ordinal);

        var local = Path.Combine(_root, "plain");
        await ModelConverter.ConvertAsync(request with { Output = local, Encryption = null });
        await using var plain = await TensorFile.OpenAsync(Path.Combine(local, "model.tensors"));
        await using var remote = await TensorFile.OpenAsync(await S3RangeSource.OpenAsync(_client, S3Location.Parse(output + "model.tensors")), ownsSource: true);
        Assert.True(remote.Header.HasCryptInfo);
        var decryption = new LoadOptions { Decryption = Tensorizer.Crypto.DecryptionKey.FromKey(key) };
        Assert.Empty(await remote.VerifyAsync(decryption));
        var expected = await plain.ReadBytesAsync();
        var actual = await remote.ReadBytesAsync(options: decryption);
        Assert.All(expected, e => Assert.Equal(e.Value, actual[e.Key]));
        Assert.True((await ModelConverter.ConvertAsync(request with { Encryption = Tensorizer.Crypto.TensorEncryption.FromKey(key) })).Skipped);
    }

    [Fact]
    public async Task A_missing_bucket_is_a_clear_error()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => ModelConverter.ConvertAsync(new ConversionRequest
        {
            Source = "s3://no-such-bucket/ckpt/",
            Output = Path.Combine(_root, "out"),
            Settings = new SourceSettings { S3 = moto.Settings() },
        }));
        Assert.Contains("no such bucket", error.Message, StringComparison.Ordinal);
    }
}
