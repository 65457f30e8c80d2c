using AppHost;
using AppHost.Publishing;
using Microsoft.Extensions.Configuration;
using Tensorizer.Configuration;

// `publish` writes the cluster manifests and exits before the distributed application exists: no DCP, no dashboard.
if (args is ["publish", .. var publishArgs])
{
    return await PublishCommand.RunAsync(publishArgs);
}

var builder = DistributedApplication.CreateBuilder(args);
var store = LocalModelStore.FromConfiguration(builder.Configuration, builder.AppHostDirectory);
var s3 = LocalS3Store.FromConfiguration(builder.Configuration);

// The model store: a local folder (the PVC's stand-in) or, with --S3Store=true, a bucket on a local S3 server.
var moto = s3 is null ? null : builder.AddExecutable("s3", "moto_server", builder.AppHostDirectory, "-H", "127.0.0.1", "-p", s3.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
    .WithHttpEndpoint(port: s3.Port, isProxied: false)
    .WithHttpHealthCheck("/");
var modelLocation = s3 is null ? store.ModelFolder : LocalS3Store.ModelPrefix(store.ModelName);

// The direct path, with --Checkpoint LOCATION: the service loads a Hugging Face checkpoint as it is (a folder or S3
// prefix of safetensors, or hf://org/name[@revision] streamed from the Hub), with no conversion step.
var checkpoint = builder.Configuration["Checkpoint"] is { Length: > 0 } direct ? direct : null;

// The seed's download job, locally: the embedded tiny GPT-J converted into the model store (skipped when already complete).
var downloader = checkpoint is not null ? null : builder.AddProject<Projects.Downloader>("downloader")
    .WithArgs(["convert", "--source", LocalModelStore.Source, "--output", modelLocation, "--dtype", LocalModelStore.Dtype, .. s3 is null ? Array.Empty<string>() : ["--create-bucket"]])
    .WithS3(s3, moto);

// KServe's port 8080 by default, so the README's curl works as is; InferencePort=0 picks a free one (tests).
var inferencePort = builder.Configuration.GetValue("InferencePort", 8080);

// The service starts once the conversion has exited successfully, and is healthy once the model is loaded.
var inference = builder.AddProject<Projects.Inference>("inference")
    .WithHttpEndpoint(port: inferencePort == 0 ? null : inferencePort)
    .WithEnvironment(SettingNames.ModelName, store.ModelName)
    .WithEnvironment(SettingNames.ModelPath, checkpoint ?? modelLocation)
    .WithEnvironment(SettingNames.Device, "cpu")
    .WithEnvironment(SettingNames.Dtype, LocalModelStore.Dtype)
    .WithHttpHealthCheck($"/v2/models/{store.ModelName}/ready")
    .WithS3(s3, moto);
foreach (var hubSetting in new[] { "HF_TOKEN", "HF_ENDPOINT", "MODELSCOPE_API_TOKEN", "MODELSCOPE_ENDPOINT" })
{
    if (builder.Configuration[hubSetting] is { Length: > 0 } value)
    {
        inference.WithEnvironment(hubSetting, value); // the Hub's token and mirror, for hf:// and modelscope:// checkpoints
    }
}

if (downloader is not null)
{
    inference.WaitForCompletion(downloader);
}

// The admin console: the same model store (conversions run in its process), the service found by service discovery.
builder.AddProject<Projects.Console_Blazor>("console")
    .WithReference(inference)
    .WithEnvironment("Console__ModelStore", s3 is null ? store.Root : $"s3://{LocalS3Store.Bucket}/")
    .WithEnvironment("Console__DashboardUrl", builder.Configuration["ASPNETCORE_URLS"]?.Split(';')[0] ?? "")
    .WithHttpHealthCheck("/health")
    .WithS3(s3, moto);

await builder.Build().RunAsync();
return 0;
