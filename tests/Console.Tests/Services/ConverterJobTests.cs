using AdminConsole.Configuration;
using AdminConsole.Services.Conversions;
using AdminConsole.Services.Conversions.Kubernetes;

namespace AdminConsole.Tests.Services;

/// <summary>The Job the console starts: an encryption Secret mounted read-only and named by ENCRYPT_KEY_FILE, as the published converter Job.</summary>
public sealed class ConverterJobTests
{
    private static readonly ConversionSpec Tiny = new(SourceKind.Builtin, "", null, "float16", "tiny");

    [Fact]
    public void An_encryption_secret_is_mounted_and_named_for_the_converter()
    {
        var options = new ConverterOptions { Image = "downloader:1", Pvc = "models", EncryptionSecret = "model-key" };
        var pod = ConverterJob.Build("convert-tiny-abc", Tiny, "/mnt/models/tiny", options).Spec.Template.Spec;

        var keyVolume = Assert.Single(pod.Volumes, v => v.Secret is not null);
        Assert.Equal("model-key", keyVolume.Secret.SecretName);
        Assert.Equal("key", Assert.Single(keyVolume.Secret.Items).Key);
        var container = Assert.Single(pod.Containers);
        var mount = Assert.Single(container.VolumeMounts, m => m.Name == keyVolume.Name);
        Assert.True(mount.ReadOnlyProperty);
        var variable = Assert.Single(container.Env);
        Assert.Equal(("ENCRYPT_KEY_FILE", $"{mount.MountPath}/key"), (variable.Name, variable.Value));
        Assert.Contains(pod.Volumes, v => v.PersistentVolumeClaim?.ClaimName == "models");
    }

    [Fact]
    public void The_job_runs_as_the_downloader_images_non_root_user_and_owns_the_claims_files()
    {
        var pod = ConverterJob.Build("convert-tiny-abc", Tiny, "/mnt/models/tiny", new ConverterOptions { Image = "downloader:1", Pvc = "models" }).Spec.Template.Spec;
        Assert.Equal((true, 1654L, 1654L), (pod.SecurityContext.RunAsNonRoot, pod.SecurityContext.RunAsUser, pod.SecurityContext.FsGroup));
        Assert.Null(pod.Containers[0].Command); // the image's entrypoint runs `convert ...`
    }

    [Fact]
    public void Without_a_secret_the_job_has_no_key()
    {
        var pod = ConverterJob.Build("convert-tiny-abc", Tiny, "/tmp/tiny", new ConverterOptions { Image = "downloader:1" }).Spec.Template.Spec;
        Assert.Null(pod.Volumes);
        Assert.Null(pod.Containers[0].Env);
        Assert.Null(pod.Containers[0].VolumeMounts);
    }
}
