using k8s.Models;
using Tensorizer.Configuration;
using Tensorizer.Format;

namespace AppHost.Publishing;

/// <summary>
/// What both platforms need to know about the Inference service: its port, its settings (the KServe-style variables
/// of <see cref="SettingNames"/>, which the service binds) and where it says the model is loaded.
/// </summary>
internal static class InferenceServer
{
    /// <summary>KServe's model-server port, which the service listens on by default.</summary>
    public const int Port = 8080;

    /// <summary>
    /// The model-ready endpoint: 200 once the weights are loaded, 503 while loading. The service listens at once and
    /// loads in the background, so a TCP probe (KServe's default) would send requests to a pod that cannot answer them.
    /// </summary>
    public static string ReadyPath(DeploymentOptions options) =>
        options.Protocol == "v2" ? $"/v2/models/{options.ModelName}/ready" : $"/v1/models/{options.ModelName}";

    /// <summary>The service's variables; <c>TENSORIZER_KEY_FILE</c> too when an encryption Secret is mounted.</summary>
    public static List<V1EnvVar> Environment(DeploymentOptions options, string modelPath) => EncryptionSecret.WithKeyFile(
        options,
        [
            Kube.Env(SettingNames.ModelName, options.ModelName),
            Kube.Env(SettingNames.ModelPath, modelPath),
            Kube.Env(SettingNames.Device, options.Gpus > 0 ? "cuda" : "cpu"),
            Kube.Env(SettingNames.Dtype, ServingDtype(options)),
        ],
        EncryptionSecret.DecryptVariable);

    /// <summary>Computes in the dtype the converter stored; "keep" leaves the checkpoint's, which for GPT-J is fp16.</summary>
    public static string ServingDtype(DeploymentOptions options) =>
        DtypeNames.ParseConversion(options.Dtype, "--dtype") is { } dtype ? DtypeNames.NameOf(dtype) : DtypeNames.NameOf(TensorElementType.Float16);

    /// <summary>
    /// Keeps traffic off a pod whose model is not loaded (or no longer answers). Knative (under T9k's MLService) rejects
    /// a probe port other than the serving port and fills it in itself, hence <paramref name="withPort"/>.
    /// </summary>
    public static V1Probe Readiness(DeploymentOptions options, bool withPort = true) => new()
    {
        HttpGet = withPort ? new V1HTTPGetAction { Path = ReadyPath(options), Port = Port } : new V1HTTPGetAction { Path = ReadyPath(options) },
        PeriodSeconds = 10,
        TimeoutSeconds = 5,
        FailureThreshold = 3,
    };

    /// <summary>Holds off the other probes while the weights load: a GPT-J-6B fp16 load reads 12 GB before the first answer.</summary>
    public static V1Probe Startup(DeploymentOptions options) => new()
    {
        HttpGet = new V1HTTPGetAction { Path = ReadyPath(options), Port = Port },
        PeriodSeconds = 10,
        TimeoutSeconds = 5,
        FailureThreshold = options.StartupSeconds / 10,
    };
}
