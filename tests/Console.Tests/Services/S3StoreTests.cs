using AdminConsole.Services.Store;
using Amazon.S3.Model;
using Checkpoints.Conversion;
using Checkpoints.Outputs;
using Checkpoints.Sources;
using S3Location = Tensorizer.Sources.S3.S3Location;

namespace AdminConsole.Tests.Services;

/// <summary>An S3 model store (moto_server on 127.0.0.1): models converted to S3 are listed with their index and marker.</summary>
public sealed class S3StoreTests(MotoServerFixture moto) : IClassFixture<MotoServerFixture>
{
    [Fact]
    public async Task Lists_complete_and_incomplete_models_and_skips_hidden_prefixes()
    {
        using var client = moto.CreateClient();
        var bucket = await MotoServerFixture.CreateBucketAsync(client);
        var settings = new SourceSettings { S3 = moto.Settings() };
        foreach (var name in new[] { "gptj", "unfinished" })
        {
            await ModelConverter.ConvertAsync(new ConversionRequest { Source = "builtin://tiny-gptj", Output = $"s3://{bucket}/models/{name}/", Settings = settings });
        }

        await client.DeleteObjectAsync(bucket, $"models/unfinished/{CompletionMarker.FileName}");
        await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "models/.staging/model.tensors", ContentBody = "not a model" });

        using var store = new S3ModelStore(moto.CreateClient(), S3Location.ParsePrefix($"s3://{bucket}/models/"));
        var models = await store.ListAsync(CancellationToken.None);

        Assert.Equal(["gptj", "unfinished"], models.Select(m => m.Name));
        var gptj = models[0];
        Assert.True(gptj.Complete);
        Assert.Equal((25, "builtin://tiny-gptj", "tiny-gptj-1"), (gptj.Tensors, gptj.Source, gptj.Revision));
        Assert.Equal(["float16"], gptj.Dtypes);
        Assert.Null(gptj.Error);
        Assert.False(models[1].Complete);
        Assert.Equal($"s3://{bucket}/models/new/", store.OutputFor("new"));
    }
}
