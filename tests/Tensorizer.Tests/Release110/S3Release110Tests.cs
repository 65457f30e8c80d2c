using Amazon.S3;
using Tensorizer.Format;
using Tensorizer.Reading;
using Tensorizer.Sources.S3;
using Tensorizer.Writing;

namespace Tensorizer.Tests.Release110;

/// <summary>The stream writer under S3 uploads (what the converter publishes) ends the object as 1.1.0 expects.</summary>
public sealed class S3Release110Tests(MotoServerFixture moto) : IClassFixture<MotoServerFixture>, IDisposable
{
    private readonly IAmazonS3 _client = moto.CreateClient();

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task A_multipart_upload_ends_with_the_terminator_and_the_1_1_0_walk_reads_it()
    {
        var bucket = await MotoServerFixture.CreateBucketAsync(_client);
        var location = new S3Location(bucket, "model.tensors");
        var weight = TestFiles.Bytes(6 << 20, seed: 1); // over one 5 MiB part, so the terminator lands in the last part
        var bias = TestFiles.Bytes(16, seed: 2);
        await S3TensorWriter.WriteAsync(_client, location,
        [
            TensorToWrite.StateDict("fc.weight", TensorElementType.Float16, [3 << 20], weight),
            TensorToWrite.StateDict("fc.bias", TensorElementType.Float32, [4], bias),
        ], new S3UploadOptions { PartSize = S3UploadOptions.MinPartSize });

        using var response = await _client.GetObjectAsync(bucket, location.Key);
        using var stored = new MemoryStream();
        await response.ResponseStream.CopyToAsync(stored);
        var bytes = stored.ToArray();

        Assert.Equal(new byte[8], bytes[^8..]);
        var tensors = Release110Reader.ReadAll(bytes);
        Assert.Equal(["fc.weight", "fc.bias"], tensors.Select(t => t.Name));
        Assert.Equal(weight, tensors[0].Data);
        Assert.Equal(bias, tensors[1].Data);

        await using var file = await TensorFile.OpenAsync(new Sources.MemoryRangeSource(bytes));
        var account = await FileAccounting.CheckAsync(file);
        Assert.True(account.IsWhole && account.HasTerminator, string.Join("; ", account.Unaccounted));
    }
}
