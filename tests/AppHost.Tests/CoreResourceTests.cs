using AppHost.Publishing;
using k8s;
using k8s.Models;

namespace AppHost.Tests;

/// <summary>
/// The core resources (volume, converter Job, console Deployment, Service and RBAC), read back with KubernetesClient's
/// models: the fields the API server requires are there, and the references between resources hold.
/// </summary>
public sealed class CoreResourceTests
{
    private static readonly DeploymentOptions Options = new() { Namespace = "models", StorageClass = "shared-nvme", ConsoleImage = "registry.example/console:2" };

    private static T One<T>() => Assert.Single(ManifestSet.Build(Options)
        .Where(f => f.Name is "storage.yaml" or "converter.yaml" or "console.yaml")
        .SelectMany(f => KubernetesYaml.LoadAllFromString(ManifestWriter.Render(f)))
        .OfType<T>());

    [Fact]
    public void EveryResourceIsNamedInTheChosenNamespace()
    {
        foreach (var resource in Published.Resources(Options))
        {
            Assert.False(string.IsNullOrEmpty((string?)resource["apiVersion"]));
            Assert.False(string.IsNullOrEmpty((string?)resource["kind"]));
            Assert.False(string.IsNullOrEmpty((string?)resource["metadata"]!["name"]), resource.ToJsonString());
            Assert.Equal("models", (string?)resource["metadata"]!["namespace"]);
        }
    }

    [Fact]
    public void TheVolumeIsTheSeedsClaimWithTheChosenStorageClass()
    {
        var claim = One<V1PersistentVolumeClaim>();
        Assert.Equal("tensorizer", claim.Metadata.Name);
        Assert.Equal(["ReadWriteMany"], claim.Spec.AccessModes);
        Assert.Equal(new ResourceQuantity("50Gi"), claim.Spec.Resources.Requests["storage"]);
        Assert.Equal("shared-nvme", claim.Spec.StorageClassName);
    }

    [Fact]
    public void TheConverterJobMountsTheClaimAndHasTheSeedsResources()
    {
        var job = One<V1Job>();
        var pod = job.Spec.Template.Spec;
        Assert.Equal("Never", pod.RestartPolicy); // a Job's pods must not restart in place
        var container = Assert.Single(pod.Containers);
        Assert.Equal(Options.DownloaderImage, container.Image);
        Assert.Equal(["convert", "--source", "modelscope://AI-ModelScope/gpt-j-6b", "--output", "/mnt/gptj", "--dtype", "float16"], container.Args);
        var mount = Assert.Single(container.VolumeMounts);
        Assert.Equal("/mnt", mount.MountPath);
        Assert.Equal("tensorizer", Assert.Single(pod.Volumes, v => v.Name == mount.Name).PersistentVolumeClaim.ClaimName);
        Assert.Equal(new ResourceQuantity("2"), container.Resources.Limits["cpu"]);
        Assert.Equal(new ResourceQuantity("40Gi"), container.Resources.Limits["memory"]);
        Assert.DoesNotContain("nvidia.com/gpu", container.Resources.Limits.Keys);
        Assert.Equal(container.Resources.Limits, container.Resources.Requests);
    }

    [Fact]
    public void TheConsoleDeploymentSelectsItsPodsAndRunsAsItsServiceAccount()
    {
        var deployment = One<V1Deployment>();
        var template = deployment.Spec.Template;
        Assert.All(deployment.Spec.Selector.MatchLabels, label => Assert.Equal(label.Value, template.Metadata.Labels[label.Key]));
        Assert.Equal(One<V1ServiceAccount>().Metadata.Name, template.Spec.ServiceAccountName);
        var container = Assert.Single(template.Spec.Containers);
        Assert.Equal("registry.example/console:2", container.Image);
        Assert.Contains(container.Env, e => e.Name == "services__inference__http__0" && e.Value == "http://tensorizer-gptj-predictor.models.svc.cluster.local");

        // Cluster mode: converter Jobs instead of in-process conversions, an operator-made access token, the model volume read-only.
        Assert.Contains(container.Env, e => e.Name == "Console__Mode" && e.Value == "Kubernetes");
        Assert.Contains(container.Env, e => e.Name == "Console__AccessToken" && e.ValueFrom.SecretKeyRef.Name == "tensorizer-console-access" && e.ValueFrom.SecretKeyRef.Key == "token");
        var mount = Assert.Single(container.VolumeMounts);
        Assert.True(mount.ReadOnlyProperty);
        Assert.Contains(container.Env, e => e.Name == "Console__ModelStore" && e.Value == mount.MountPath);
        var volume = Assert.Single(template.Spec.Volumes, v => v.Name == mount.Name);
        Assert.Equal(One<V1PersistentVolumeClaim>().Metadata.Name, volume.PersistentVolumeClaim.ClaimName);
    }

    [Fact]
    public void TheConsoleServiceReachesTheDeploymentsPort()
    {
        var service = One<V1Service>();
        var template = One<V1Deployment>().Spec.Template;
        Assert.All(service.Spec.Selector, label => Assert.Equal(label.Value, template.Metadata.Labels[label.Key]));
        var port = Assert.Single(service.Spec.Ports);
        Assert.Contains(template.Spec.Containers.SelectMany(c => c.Ports), p => p.Name == port.TargetPort.Value);
    }

    [Fact]
    public void TheConsoleMayRunConverterJobsAndReadTheirLogsButNothingMore()
    {
        var role = One<V1Role>();
        var binding = One<V1RoleBinding>();
        var account = One<V1ServiceAccount>();
        Assert.Equal(("rbac.authorization.k8s.io", "Role", role.Metadata.Name), (binding.RoleRef.ApiGroup, binding.RoleRef.Kind, binding.RoleRef.Name));
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", account.Metadata.Name, "models"), (subject.Kind, subject.Name, subject.NamespaceProperty));

        var rules = role.Rules.SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.Select(res => (Resource: $"{g}/{res}", r.Verbs)))).ToList();
        Assert.Equal(["/pods", "/pods/log", "batch/jobs"], rules.Select(r => r.Resource).Order(StringComparer.Ordinal));
        Assert.Equal(["create", "delete", "get", "list", "watch"], rules.Single(r => r.Resource == "batch/jobs").Verbs.Order(StringComparer.Ordinal));
        Assert.All(rules.Where(r => r.Resource != "batch/jobs"), r => Assert.Equal(["get", "list"], r.Verbs.Order(StringComparer.Ordinal)));
    }
}
