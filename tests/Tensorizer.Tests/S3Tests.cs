using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Amazon.S3;
using Amazon.S3.Model;
using Tensorizer.Format;
using Tensorizer.Reading;
using Tensorizer.Sources.S3;
using Tensorizer.Writing;
using S3Location = Tensorizer.Sources.S3.S3Location;

namespace Tensorizer.Tests;

/// <summary>Writing and loading through S3, against a real moto_server on 127.0.0.1.</summary>
public sealed class S3Tests(MotoServerFixture moto) : IClassFixture<MotoServerFixture>, IDisposable
{
    private static readonly S3UploadOptions SmallParts = new() { PartSize = S3UploadOptions.MinPartSize, MaxConcurrentParts = 2 };
    private static readonly LoadOptions ParallelLoad = new() { Readers = 4, ChunkSize = 1 << 20, VerifyHashes = true };

    private readonly IAmazonS3 _client = moto.CreateClient();

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task A_multipart_write_loads_back_in_parallel_byte_identical_to_a_local_load()
    {
        var bucket = await MotoServerFixture.CreateBucketAsync(_client);
        var location = new S3Location(bucket, "models/gptj.tensors");
        var tensors = TwelveMiB();

        await S3TensorWriter.WriteAsync(_client, location, tensors, SmallParts);

        using var local = new MemoryStream();
        await TensorWriter.WriteAsync(local, tensors);
        var head = await _client.GetObjectMetadataAsync(bucket, location.Key);
        Assert.EndsWith("-3\"", head.ETag, StringComparison.Ordinal); // a multipart object of three 5 MiB-or-less parts
        var stored = await DownloadAsync(bucket, location.Key);
        Assert.True(local.ToArray().AsSpan().SequenceEqual(stored), "the object differs from a local write");

        var expected = await TestFiles.ReadAllAsync(local.ToArray(), ParallelLoad);
        await using var source = await S3RangeSource.OpenAsync(_client, location);
        Assert.Equal("s3://" + bucket + "/models/gptj.tensors", source.Location);
        await using var file = await TensorFile.OpenAsync(source);
        AssertSameTensors(expected, await file.ReadBytesAsync(options: ParallelLoad));
    }

    [Fact]
    public async Task The_upload_stream_takes_uneven_writes_and_the_object_appears_only_on_completion()
    {
        var bucket = await MotoServerFixture.CreateBucketAsync(_client);
        var location = new S3Location(bucket, "raw.tensors");
        var file = new RawFileBuilder()
            .Add("a", "<f4", [1536, 1024], TestFiles.Bytes(6 << 20, seed: 1))
            .Add("b", "<f2", [2560, 1024], TestFiles.Bytes(5 << 20, seed: 2))
            .Build();

        await using (var upload = new S3UploadStream(_client, location, SmallParts))
        {
            for (var offset = 0; offset < file.Length; offset += 777_777)
            {
                await upload.WriteAsync(file.AsMemory(offset, Math.Min(777_777, file.Length - offset)));
            }

            Assert.Equal(file.Length, upload.Position);
            Assert.Single((await _client.ListMultipartUploadsAsync(bucket)).MultipartUploads ?? []);
            await Assert.ThrowsAsync<AmazonS3Exception>(() => _client.GetObjectMetadataAsync(bucket, location.Key));
            await upload.CompleteAsync();
            await Assert.ThrowsAsync<InvalidOperationException>(() => upload.WriteAsync(new byte[1]).AsTask());
        }

        var stored = await DownloadAsync(bucket, location.Key);
        Assert.True(file.AsSpan().SequenceEqual(stored), "the object differs from what was written");
        Assert.Empty((await _client.ListMultipartUploadsAsync(bucket)).MultipartUploads ?? []);
        await using var source = await S3RangeSource.OpenAsync(_client, location);
        await using var tensors = await TensorFile.OpenAsync(source);
        AssertSameTensors(await TestFiles.ReadAllAsync(file), await tensors.ReadBytesAsync(options: ParallelLoad));
    }

    [Fact]
    public async Task A_file_under_one_part_is_one_put_and_loads()
    {
        var bucket = await MotoServerFixture.CreateBucketAsync(_client);
        var location = new S3Location(bucket, "small.tensors");
        var tensors = new[] { TensorToWrite.StateDict("w", TensorElementType.Float16, [3, 4], TestFiles.Bytes(24)) };

        await S3TensorWriter.WriteAsync(_client, location, tensors, SmallParts);

        var head = await _client.GetObjectMetadataAsync(bucket, location.Key);
        Assert.DoesNotContain("-", head.ETag, StringComparison.Ordinal);
        await using var source = await S3RangeSource.OpenAsync(_client, location);
        await using var file = await TensorFile.OpenAsync(source);
        Assert.Equal(tensors[0].Data![0].ToArray(), (await file.ReadBytesAsync(options: ParallelLoad))["w"]);
    }

    [Fact]
    public async Task A_write_whose_data_fails_midway_leaves_no_object_and_no_pending_upload()
    {
        var bucket = await MotoServerFixture.CreateBucketAsync(_client);
        var location = new S3Location(bucket, "failed.tensors");
        var tensors = TwelveMiB(last: Tripwire(1 << 20, () => throw new IOException("the checkpoint shard vanished")));

        var e = await Assert.ThrowsAsync<IOException>(() => S3TensorWriter.WriteAsync(_client, location, tensors, SmallParts));

        Assert.Equal("the checkpoint shard vanished", e.Message);
        await AssertNothingLeftAsync(bucket);
    }

    [Fact]
    public async Task A_cancelled_write_leaves_no_object_and_no_pending_upload()
    {
        var bucket = await MotoServerFixture.CreateBucketAsync(_client);
        var location = new S3Location(bucket, "cancelled.tensors");
        using var cancel = new CancellationTokenSource();
        var tensors = TwelveMiB(last: Tripwire(1 << 20, cancel.Cancel));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => S3TensorWriter.WriteAsync(_client, location, tensors, SmallParts, cancel.Token));

        await AssertNothingLeftAsync(bucket);
    }

    [Fact]
    public async Task Disposing_an_upload_without_completing_aborts_it()
    {
        var bucket = await MotoServerFixture.CreateBucketAsync(_client);
        await using (var upload = new S3UploadStream(_client, new S3Location(bucket, "abandoned.tensors"), SmallParts))
        {
            await upload.WriteAsync(TestFiles.Bytes(11 << 20));
            Assert.Single((await _client.ListMultipartUploadsAsync(bucket)).MultipartUploads ?? []);
        }

        await AssertNothingLeftAsync(bucket);
    }

    [Fact]
    public async Task A_missing_key_or_bucket_is_named_clearly()
    {
        var bucket = await MotoServerFixture.CreateBucketAsync(_client);

        var key = await Assert.ThrowsAsync<TensorizerException>(() => S3RangeSource.OpenAsync(_client, new S3Location(bucket, "missing.tensors")));
        Assert.Equal($"s3://{bucket}/missing.tensors: no such key.", key.Message);

        var noBucket = await Assert.ThrowsAsync<TensorizerException>(() => S3RangeSource.OpenAsync(_client, S3Location.Parse("s3://no-such-bucket-here/m.tensors")));
        Assert.Equal("s3://no-such-bucket-here/m.tensors: no such bucket 'no-such-bucket-here'.", noBucket.Message);
    }

    [Fact]
    public async Task Reads_are_pinned_to_the_version_opened()
    {
        var bucket = await MotoServerFixture.CreateBucketAsync(_client);
        await _client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "m.tensors", ContentBody = "version one" });
        await using var source = await S3RangeSource.OpenAsync(_client, new S3Location(bucket, "m.tensors"));
        var first = new byte[7];
        await source.ReadAsync(0, first);
        Assert.Equal("version"u8.ToArray(), first);

        await _client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "m.tensors", ContentBody = "version two" });

        var e = await Assert.ThrowsAsync<TensorizerException>(() => source.ReadAsync(8, new byte[3]).AsTask());
        Assert.Contains("was replaced while it was being read", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reads_past_the_end_are_refused_before_any_request()
    {
        var bucket = await MotoServerFixture.CreateBucketAsync(_client);
        await _client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "m", ContentBody = "0123456789" });
        await using var source = await S3RangeSource.OpenAsync(_client, new S3Location(bucket, "m"));

        Assert.Equal(10, source.Length);
        await Assert.ThrowsAsync<TensorizerFormatException>(() => source.ReadAsync(8, new byte[3]).AsTask());
        await source.ReadAsync(10, Memory<byte>.Empty);
    }

    [Fact]
    public async Task Unknown_credentials_are_refused_clearly_when_the_server_checks_them()
    {
        // With IAM auth on from the first request, moto rejects keys it never issued, as S3 does.
        await using var server = new AsyncDisposer(await MotoServerFixture.StartAsync(new Dictionary<string, string> { ["INITIAL_NO_AUTH_ACTION_COUNT"] = "0" }));
        using var client = server.Moto.CreateClient("AKIAIOSFODNN7NOTREAL", "not-the-secret");
        var location = S3Location.Parse("s3://models/gptj.tensors");

        var read = await Assert.ThrowsAsync<TensorizerException>(() => S3RangeSource.OpenAsync(client, location));
        Assert.StartsWith("s3://models/gptj.tensors: access denied (InvalidAccessKeyId", read.Message, StringComparison.Ordinal);
        Assert.Contains("AWS_ACCESS_KEY_ID", read.Message, StringComparison.Ordinal);

        var write = await Assert.ThrowsAsync<TensorizerException>(() => S3TensorWriter.WriteAsync(client, location, TwelveMiB(), SmallParts));
        Assert.StartsWith("s3://models/gptj.tensors: access denied (InvalidAccessKeyId", write.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_ssl_off_accepts_a_self_signed_endpoint_and_on_refuses_it()
    {
        var directory = Directory.CreateTempSubdirectory("moto-tls-");
        try
        {
            var (certificate, key) = WriteSelfSignedCertificate(directory.FullName);
            await using var server = new AsyncDisposer(await MotoServerFixture.StartAsync(arguments: ["-c", certificate, "-k", key], https: true));

            using (var insecure = S3ClientFactory.Create(server.Moto.Settings() with { VerifySsl = false }))
            {
                var bucket = await MotoServerFixture.CreateBucketAsync(insecure);
                await S3TensorWriter.WriteAsync(insecure, new S3Location(bucket, "m.tensors"), TwelveMiB(), SmallParts);
                await using var source = await S3RangeSource.OpenAsync(insecure, new S3Location(bucket, "m.tensors"));
                await using var file = await TensorFile.OpenAsync(source);
                Assert.Equal(4, (await file.ReadBytesAsync(options: ParallelLoad)).Count);
            }

            using var verifying = S3ClientFactory.Create(server.Moto.Settings());
            var e = await Assert.ThrowsAnyAsync<Exception>(() => verifying.ListBucketsAsync());
            Assert.Contains(Chain(e), inner => inner is System.Security.Authentication.AuthenticationException);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>About 12 MiB in four tensors, one larger than a part, so three 5 MiB parts carry it.</summary>
    private static TensorToWrite[] TwelveMiB(ReadOnlyMemory<byte>? last = null) =>
    [
        TensorToWrite.StateDict("transformer.wte.weight", TensorElementType.Float16, [2048, 1024], TestFiles.Bytes(4 << 20, seed: 1)),
        TensorToWrite.StateDict("transformer.h.0.mlp.fc_in.weight", TensorElementType.Float32, [1536, 1024], TestFiles.Bytes(6 << 20, seed: 2)),
        TensorToWrite.StateDict("transformer.h.0.mlp.fc_in.bias", TensorElementType.BFloat16, [1536], TestFiles.Bytes(3072, seed: 3)),
        TensorToWrite.StateDict("lm_head.weight", TensorElementType.Float16, [512, 1024], last ?? TestFiles.Bytes(1 << 20, seed: 4)),
    ];

    /// <summary>Data that runs <paramref name="onWrite"/> when read a second time: the writer hashes a tensor, then writes it.</summary>
    private static ReadOnlyMemory<byte> Tripwire(int length, Action onWrite) => new Tripwired(TestFiles.Bytes(length, seed: 9), onWrite).Memory;

    private static void AssertSameTensors(IReadOnlyDictionary<string, byte[]> expected, IReadOnlyDictionary<string, byte[]> loaded)
    {
        Assert.Equal(expected.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, bytes) in expected)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(loaded[name]), $"tensor {name} differs");
        }
    }

    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    private static (string Certificate, string Key) WriteSelfSignedCertificate(string directory)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var (certificatePath, keyPath) = (Path.Combine(directory, "cert.pem"), Path.Combine(directory, "key.pem"));
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, rsa.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }

    private async Task<byte[]> DownloadAsync(string bucket, string key)
    {
        using var response = await _client.GetObjectAsync(bucket, key);
        using var bytes = new MemoryStream();
        await response.ResponseStream.CopyToAsync(bytes);
        return bytes.ToArray();
    }

    private async Task AssertNothingLeftAsync(string bucket)
    {
        Assert.Empty((await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects ?? []);
        Assert.Empty((await _client.ListMultipartUploadsAsync(bucket)).MultipartUploads ?? []);
    }

    /// <summary>Memory whose span, on its second access, first runs an action (a failure, a cancellation).</summary>
    private sealed class Tripwired(byte[] bytes, Action onSecondAccess) : MemoryManager<byte>
    {
        private int _accesses;

        public override Span<byte> GetSpan()
        {
            if (Interlocked.Increment(ref _accesses) == 2)
            {
                onSecondAccess();
            }

            return bytes;
        }

        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }

    /// <summary>Kills an extra moto_server at the end of a test.</summary>
    private sealed class AsyncDisposer(MotoServerFixture moto) : IAsyncDisposable
    {
        public MotoServerFixture Moto { get; } = moto;

        public async ValueTask DisposeAsync() => await Moto.DisposeAsync();
    }
}
