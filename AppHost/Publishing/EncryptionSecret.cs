using k8s.Models;

namespace AppHost.Publishing;

/// <summary>
/// <c>--encryption-secret NAME</c>: a Secret holding the raw 32-byte key under <c>key</c> (<c>kubectl create secret generic
/// NAME --from-file=key=model.key</c>), mounted read-only in the inference and converter pods; the service decrypts with
/// it (<c>TENSORIZER_KEY_FILE</c>), the converter encrypts with it (<c>ENCRYPT_KEY_FILE</c>). Without the option, nothing.
/// </summary>
internal static class EncryptionSecret
{
    public const string VolumeName = "tensorizer-key";
    public const string MountPath = "/var/run/secrets/tensorizer";
    public const string SecretKey = "key";
    public const string KeyFile = $"{MountPath}/{SecretKey}";

    /// <summary>The variable the inference service reads its key file from.</summary>
    public const string DecryptVariable = Tensorizer.Configuration.SettingNames.KeyFile;

    /// <summary>The variable <c>downloader convert</c> reads its encryption key file from.</summary>
    public const string EncryptVariable = Tensorizer.Configuration.SettingNames.EncryptKeyFile;

    public static List<V1Volume>? Volumes(DeploymentOptions options) => options.EncryptionSecret is { } secret
        ? [new V1Volume { Name = VolumeName, Secret = new V1SecretVolumeSource { SecretName = secret, Items = [new V1KeyToPath { Key = SecretKey, Path = SecretKey }] } }]
        : null;

    public static List<V1VolumeMount>? Mounts(DeploymentOptions options) => options.EncryptionSecret is null
        ? null
        : [new V1VolumeMount { Name = VolumeName, MountPath = MountPath, ReadOnlyProperty = true }];

    /// <summary><paramref name="variable"/> pointing at the mounted key, or null without a Secret.</summary>
    public static List<V1EnvVar>? KeyFileEnv(DeploymentOptions options, string variable) =>
        options.EncryptionSecret is null ? null : [Kube.Env(variable, KeyFile)];

    /// <summary><paramref name="environment"/> and <paramref name="variable"/> pointing at the mounted key, when there is one.</summary>
    public static List<V1EnvVar> WithKeyFile(DeploymentOptions options, List<V1EnvVar> environment, string variable) =>
        [.. environment, .. KeyFileEnv(options, variable) ?? []];

    /// <summary><paramref name="mounts"/> and the key's mount, when there is one.</summary>
    public static List<V1VolumeMount> WithMount(DeploymentOptions options, List<V1VolumeMount> mounts) => [.. mounts, .. Mounts(options) ?? []];

    /// <summary><paramref name="volumes"/> and the key's volume, when there is one.</summary>
    public static List<V1Volume> WithVolume(DeploymentOptions options, List<V1Volume> volumes) => [.. volumes, .. Volumes(options) ?? []];
}
