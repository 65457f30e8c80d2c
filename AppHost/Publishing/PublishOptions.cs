using System.CommandLine;

namespace AppHost.Publishing;

/// <summary>The publish command's options, each bound to the <see cref="DeploymentOptions"/> property it sets; defaults shown in help are the seed's.</summary>
internal static class PublishOptions
{
    public sealed record Binding(Option Option, Func<DeploymentOptions, ParseResult, DeploymentOptions> Apply);

    public static IReadOnlyList<Binding> Bindings()
    {
        var d = new DeploymentOptions();
        var platform = new Option<string>("--platform") { Description = "kserve (ServingRuntime, InferenceService, batch Job) or t9k (MLServiceRuntime, MLService, GenericJob).", DefaultValueFactory = _ => "kserve" };
        platform.AcceptOnlyFromAmong("kserve", "t9k");
        return
        [
            new(platform, (o, p) => o with { Platform = p.GetValue(platform) == "t9k" ? Platform.T9k : Platform.KServe }),
            Text("--namespace", "Namespace of every resource.", d.Namespace, (o, v) => o with { Namespace = v }),
            Text("--model-name", "Model name in the API, and its folder on the volume.", d.ModelName, (o, v) => o with { ModelName = v }),
            Text("--service-name", "InferenceService / MLService name.", d.ServiceName, (o, v) => o with { ServiceName = v }),
            Text("--runtime-name", "ServingRuntime / MLServiceRuntime name.", d.RuntimeName, (o, v) => o with { RuntimeName = v }),
            Text("--job-name", "Converter job name.", d.JobName, (o, v) => o with { JobName = v }),
            Text("--console-name", "Console Deployment, Service and RBAC name.", d.ConsoleName, (o, v) => o with { ConsoleName = v }),
            Text("--pvc", "Model volume claim name.", d.PvcName, (o, v) => o with { PvcName = v }),
            Text("--pvc-size", "Model volume size.", d.PvcSize, (o, v) => o with { PvcSize = v }),
            Text("--access-mode", "Model volume access mode.", d.AccessMode, (o, v) => o with { AccessMode = v }),
            Text("--storage-class", "Model volume storage class (empty: the cluster's default).", "", (o, v) => o with { StorageClass = v.Length == 0 ? null : v }),
            Text("--encryption-secret", "Secret whose 'key' (raw 32 bytes) encrypts the converted model and decrypts it in the service (empty: plain).", "", (o, v) => o with { EncryptionSecret = v.Length == 0 ? null : v }),
            Text("--source-secret", "Secret whose keys (HF_TOKEN, MODELSCOPE_API_TOKEN, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL…) become the variables of the pod that fetches the checkpoint: the converter, or the service when it streams one (empty: none).", "", (o, v) => o with { SourceSecret = v.Length == 0 ? null : v }),
            Text("--registry", "Registry the images were pushed to by build/images.sh --registry (empty: none, images named tensorizer-dotnet/NAME:TAG).", "", (o, v) => o with { Registry = v.Length == 0 ? null : v }),
            Text("--tag", "The images' tag, as build/images.sh --tag built them.", d.Tag, (o, v) => o with { Tag = v }),
            Text("--inference-image", "Inference service image (empty: REGISTRY/tensorizer-dotnet/inference:TAG).", "", (o, v) => v.Length == 0 ? o : o with { InferenceImage = v }),
            Text("--downloader-image", "Converter (downloader) image (empty: REGISTRY/tensorizer-dotnet/downloader:TAG).", "", (o, v) => v.Length == 0 ? o : o with { DownloaderImage = v }),
            Text("--console-image", "Console image (empty: REGISTRY/tensorizer-dotnet/console:TAG).", "", (o, v) => v.Length == 0 ? o : o with { ConsoleImage = v }),
            Text("--source", "Checkpoint the converter fetches (folder, hf://, modelscope://, s3://, builtin://tiny-gptj).", d.Source, (o, v) => o with { Source = v }),
            Text("--checkpoint", "The direct path: serve this checkpoint as it is, with no converter Job (pvc://claim/folder, s3://bucket/prefix/, http(s)://, hf://org/name[@revision], modelscope://); empty: convert --source onto the volume.", "", (o, v) => o with { CheckpointUri = v.Length == 0 ? null : v }),
            Text("--dtype", "Dtype the converter stores and the service computes in: float16, bfloat16, float32 or keep.", d.Dtype, (o, v) => o with { Dtype = v }),
            Text("--converter-cpu", "Converter CPU.", d.ConverterCpu, (o, v) => o with { ConverterCpu = v }),
            Text("--converter-memory", "Converter memory.", d.ConverterMemory, (o, v) => o with { ConverterMemory = v }),
            Text("--inference-cpu", "Inference CPU.", d.InferenceCpu, (o, v) => o with { InferenceCpu = v }),
            Text("--inference-memory", "Inference memory.", d.InferenceMemory, (o, v) => o with { InferenceMemory = v }),
            Text("--protocol", "KServe predictor protocol (v1 or v2); also picks the readiness path.", d.Protocol, (o, v) => o with { Protocol = v }),
            Number("--gpus", "GPUs per inference pod (0: CPU, DEVICE=cpu).", d.Gpus, (o, v) => o with { Gpus = v }),
            Number("--min-replicas", "Minimum inference pods (0: scale to zero).", d.MinReplicas, (o, v) => o with { MinReplicas = v }),
            Number("--container-concurrency", "Requests one inference pod takes at once (KServe).", d.ContainerConcurrency, (o, v) => o with { ContainerConcurrency = v }),
            Number("--startup-seconds", "Time the startup probe allows for the model load (KServe).", d.StartupSeconds, (o, v) => o with { StartupSeconds = v }),
        ];
    }

    private static Binding Text(string name, string description, string value, Func<DeploymentOptions, string, DeploymentOptions> apply)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => value };
        return new(option, (o, parsed) => apply(o, parsed.GetValue(option)!));
    }

    private static Binding Number(string name, string description, int value, Func<DeploymentOptions, int, DeploymentOptions> apply)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => value };
        return new(option, (o, parsed) => apply(o, parsed.GetValue(option)));
    }
}
