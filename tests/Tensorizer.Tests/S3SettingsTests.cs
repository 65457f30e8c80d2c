using Amazon.Runtime;
using Amazon.S3;
using Tensorizer.Sources.S3;

namespace Tensorizer.Tests;

/// <summary>S3 locations and settings, pure: no server.</summary>
public class S3SettingsTests
{
    [Fact]
    public void An_empty_environment_means_aws_itself_with_the_credential_chain()
    {
        var settings = S3Settings.FromEnvironment(Env());

        Assert.Null(settings.AccessKeyId);
        Assert.Null(settings.SecretAccessKey);
        Assert.Null(settings.Endpoint);
        Assert.Equal("us-east-1", settings.Region);
        Assert.True(settings.VerifySsl);
        Assert.False(settings.Anonymous);
    }

    [Fact]
    public void KServe_s3_secret_variables_configure_an_in_cluster_store()
    {
        var settings = S3Settings.FromEnvironment(Env(
            ("AWS_ACCESS_KEY_ID", "minio"),
            ("AWS_SECRET_ACCESS_KEY", "minio123"),
            ("S3_ENDPOINT", "minio-service.kubeflow:9000"),
            ("S3_USE_HTTPS", "0"),
            ("S3_VERIFY_SSL", "0"),
            ("AWS_DEFAULT_REGION", "eu-west-1")));

        Assert.Equal(("minio", "minio123"), (settings.AccessKeyId, settings.SecretAccessKey));
        Assert.Equal(new Uri("http://minio-service.kubeflow:9000"), settings.Endpoint);
        Assert.Equal("eu-west-1", settings.Region);
        Assert.False(settings.VerifySsl);
    }

    [Theory]
    [InlineData(null, null, "store:9000", null, "https://store:9000/")]
    [InlineData(null, null, "store:9000", "1", "https://store:9000/")]
    [InlineData(null, "https://generic:1", "store:9000", null, "https://generic:1/")]
    [InlineData(null, "generic:1", null, "0", "http://generic:1/")]
    [InlineData("http://s3-only:2", "https://generic:1", "store:9000", null, "http://s3-only:2/")]
    public void The_most_specific_endpoint_variable_wins(string? s3Url, string? url, string? kserve, string? useHttps, string expected)
    {
        var settings = S3Settings.FromEnvironment(Env(
            ("AWS_ENDPOINT_URL_S3", s3Url), ("AWS_ENDPOINT_URL", url), ("S3_ENDPOINT", kserve), ("S3_USE_HTTPS", useHttps)));

        Assert.Equal(new Uri(expected), settings.Endpoint);
    }

    [Fact]
    public void Aws_region_wins_over_the_default_region_and_a_session_token_travels_with_keys()
    {
        var settings = S3Settings.FromEnvironment(Env(
            ("AWS_REGION", "ap-south-1"), ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "id"), ("AWS_SECRET_ACCESS_KEY", "secret"), ("AWS_SESSION_TOKEN", "token")));

        Assert.Equal("ap-south-1", settings.Region);
        Assert.Equal("token", settings.SessionToken);
    }

    [Theory]
    [InlineData("AWS_NO_SIGN_REQUEST", "true")]
    [InlineData("AWS_NO_SIGN_REQUEST", "1")]
    [InlineData("awsAnonymousCredential", "True")]
    public void Anonymous_access_is_asked_for_by_variable(string name, string value) =>
        Assert.True(S3Settings.FromEnvironment(Env((name, value))).Anonymous);

    [Fact]
    public void Half_a_key_pair_or_a_malformed_endpoint_is_refused()
    {
        Assert.Throws<ArgumentException>(() => S3Settings.FromEnvironment(Env(("AWS_ACCESS_KEY_ID", "id"))));
        Assert.Throws<ArgumentException>(() => S3Settings.FromEnvironment(Env(("AWS_SECRET_ACCESS_KEY", "secret"))));
        Assert.Throws<ArgumentException>(() => S3Settings.FromEnvironment(Env(("AWS_ENDPOINT_URL", "ftp://store"))));
        Assert.Throws<ArgumentException>(() => S3ClientFactory.Create(new S3Settings { AccessKeyId = "id" }));
    }

    [Fact]
    public void A_custom_endpoint_client_uses_path_style_standard_retries_and_many_connections()
    {
        using var client = S3ClientFactory.Create(new S3Settings
        {
            Endpoint = new Uri("http://127.0.0.1:9000"),
            Region = "eu-central-1",
            AccessKeyId = "id",
            SecretAccessKey = "secret",
            VerifySsl = false,
        });
        var config = (AmazonS3Config)client.Config;

        Assert.True(config.ForcePathStyle);
        Assert.Equal("http://127.0.0.1:9000/", config.ServiceURL);
        Assert.Equal("eu-central-1", config.AuthenticationRegion);
        Assert.Equal(RequestRetryMode.Standard, config.RetryMode);
        Assert.Equal(5, config.MaxErrorRetry);
        Assert.True(config.MaxConnectionsPerServer >= 64);
        Assert.NotNull(config.HttpClientFactory);
    }

    [Fact]
    public void An_aws_client_uses_the_region_endpoint_and_verifies_certificates()
    {
        using var client = S3ClientFactory.Create(new S3Settings { Region = "eu-west-2", Anonymous = true });
        var config = (AmazonS3Config)client.Config;

        Assert.Equal(Amazon.RegionEndpoint.EUWest2, config.RegionEndpoint);
        Assert.False(config.ForcePathStyle);
        Assert.Null(config.HttpClientFactory);
    }

    [Theory]
    [InlineData("s3://bucket/key", "bucket", "key")]
    [InlineData("s3://my.bucket-1/models/gpt j/model.tensors", "my.bucket-1", "models/gpt j/model.tensors")]
    [InlineData("S3://bucket/a//b", "bucket", "a//b")]
    public void Object_locations_parse_and_print(string text, string bucket, string key)
    {
        var location = S3Location.Parse(text);

        Assert.Equal((bucket, key), (location.Bucket, location.Key));
        Assert.False(location.IsPrefix);
        Assert.Equal($"s3://{bucket}/{key}", location.ToString());
    }

    [Theory]
    [InlineData("s3://bucket", "names a bucket or prefix")]
    [InlineData("s3://bucket/", "names a bucket or prefix")]
    [InlineData("s3://bucket/dir/", "names a bucket or prefix")]
    [InlineData("s3:///key", "no bucket name")]
    [InlineData("s3://Bucket/key", "not a valid bucket name")]
    [InlineData("s3://b/key", "not a valid bucket name")]
    [InlineData("s3://bucket_1/key", "not a valid bucket name")]
    [InlineData("https://bucket/key", "not an S3 location")]
    [InlineData("bucket/key", "not an S3 location")]
    public void Malformed_object_locations_are_refused_with_the_reason(string text, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => S3Location.Parse(text));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s3://bucket", "")]
    [InlineData("s3://bucket/", "")]
    [InlineData("s3://bucket/models/gptj", "models/gptj/")]
    [InlineData("s3://bucket/models/gptj/", "models/gptj/")]
    public void Prefixes_parse_and_name_their_objects(string text, string key)
    {
        var prefix = S3Location.ParsePrefix(text);

        Assert.True(prefix.IsPrefix);
        Assert.Equal(key, prefix.Key);
        Assert.Equal(new S3Location("bucket", key + "model.tensors"), prefix.Child("model.tensors"));
        Assert.Throws<InvalidOperationException>(() => prefix.Child("model.tensors").Child("x"));
    }

    private static Func<string, string?> Env(params (string Name, string? Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;
}
