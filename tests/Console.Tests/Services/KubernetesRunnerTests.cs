using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using AdminConsole.Configuration;
using AdminConsole.Services.Conversions;
using AdminConsole.Services.Conversions.Kubernetes;
using AdminConsole.Services.Store;
using Checkpoints.Conversion;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdminConsole.Tests.Services;

/// <summary>
/// The Kubernetes runner against a fake API server (Kestrel answering the paths KubernetesClient calls): the Job
/// body it sends, how it follows the Job, its pod and the pod's log, and how it cancels.
/// </summary>
public sealed class KubernetesRunnerTests
{
    private static readonly ConverterOptions Options = new()
    {
        Namespace = "models",
        Image = "registry.example/tensorizer-downloader:1.0",
        Pvc = "model-store",
        MountPath = "/mnt/models",
        Secret = "hub-credentials",
        Memory = "8Gi",
        BackoffLimit = 2,
        PollInterval = TimeSpan.FromMilliseconds(50),
    };

    private static readonly ConversionSpec Gptj = new(SourceKind.HuggingFace, "EleutherAI/gpt-j-6b", "float16", "float16", "gpt-j-6b");

    [Fact]
    public async Task Creates_the_converter_job_and_follows_it_to_completion_through_its_log()
    {
        await using var api = await FakeApi.StartAsync(completeAfterReads: 4);
        await using var runner = Runner(api);

        var started = await runner.StartAsync(Gptj, CancellationToken.None);

        var job = Assert.Single(api.Created);
        Assert.Equal(started.Id, job["metadata"]!["name"]!.GetValue<string>());
        Assert.StartsWith("convert-gpt-j-6b-", started.Id, StringComparison.Ordinal);
        Assert.Equal("tensorizer-console", job["metadata"]!["labels"]!["app.kubernetes.io/managed-by"]!.GetValue<string>());
        Assert.Equal(2, job["spec"]!["backoffLimit"]!.GetValue<int>());
        var pod = job["spec"]!["template"]!["spec"]!;
        Assert.Equal("Never", pod["restartPolicy"]!.GetValue<string>());
        var container = pod["containers"]![0]!;
        Assert.Equal(Options.Image, container["image"]!.GetValue<string>());
        Assert.Equal(
            ["convert", "--source", "hf://EleutherAI/gpt-j-6b@float16", "--output", "/mnt/models/gpt-j-6b", "--dtype", "float16"],
            container["args"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal("hub-credentials", container["envFrom"]![0]!["secretRef"]!["name"]!.GetValue<string>());
        Assert.Equal("8Gi", container["resources"]!["limits"]!["memory"]!.GetValue<string>());
        Assert.Equal("/mnt/models", container["volumeMounts"]![0]!["mountPath"]!.GetValue<string>());
        Assert.Equal("model-store", pod["volumes"]![0]!["persistentVolumeClaim"]!["claimName"]!.GetValue<string>());

        var running = await WaitForAsync(runner, started.Id, s => s.State == ConversionState.Running && s.ItemCount > 0);
        Assert.Equal(ConversionPhase.Converting, running.Phase);
        Assert.Equal((140, 285), (running.ItemsDone, running.ItemCount));
        Assert.Equal(TimeSpan.FromSeconds(2), running.Eta);
        Assert.Contains("converting", running.Log[^1], StringComparison.Ordinal);
        var done = await WaitForAsync(runner, started.Id, s => s.IsFinished);
        Assert.Equal(ConversionState.Completed, done.State);
    }

    [Fact]
    public async Task A_failed_job_shows_the_condition_and_the_last_log_line()
    {
        await using var api = await FakeApi.StartAsync(completeAfterReads: 2, fail: true);
        await using var runner = Runner(api);

        var started = await runner.StartAsync(Gptj, CancellationToken.None);
        var failed = await WaitForAsync(runner, started.Id, s => s.IsFinished);

        Assert.Equal(ConversionState.Failed, failed.State);
        Assert.Contains("BackoffLimitExceeded: Job has reached the specified backoff limit", failed.Error, StringComparison.Ordinal);
        Assert.Contains("converting", failed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_deletes_the_job_with_its_pods()
    {
        await using var api = await FakeApi.StartAsync(completeAfterReads: int.MaxValue);
        await using var runner = Runner(api);
        var started = await runner.StartAsync(Gptj, CancellationToken.None);
        await WaitForAsync(runner, started.Id, s => s.State == ConversionState.Running);

        await runner.CancelAsync(started.Id, CancellationToken.None);

        Assert.Equal([$"{started.Id}?propagationPolicy=Background"], api.Deleted);
        Assert.Equal(ConversionState.Cancelled, runner.Conversions.Single().State);
    }

    [Fact]
    public async Task A_refused_job_is_reported_in_the_api_servers_words()
    {
        await using var api = await FakeApi.StartAsync(completeAfterReads: 1, refuse: true);
        await using var runner = Runner(api);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => runner.StartAsync(Gptj, CancellationToken.None));

        Assert.Contains("jobs.batch is forbidden: User \"system:serviceaccount:models:console\" cannot create", error.Message, StringComparison.Ordinal);
        Assert.Empty(runner.Conversions);
    }

    private static KubernetesConversionRunner Runner(FakeApi api) => new(
        new Kubernetes(new KubernetesClientConfiguration { Host = api.Address.ToString() }),
        Options,
        new FolderModelStore("/mnt/models"),
        TimeProvider.System,
        NullLogger<KubernetesConversionRunner>.Instance);

    private static async Task<ConversionSnapshot> WaitForAsync(KubernetesConversionRunner runner, string id, Func<ConversionSnapshot, bool> condition)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < deadline; await Task.Delay(20))
        {
            if (runner.Conversions.SingleOrDefault(c => c.Id == id) is { } snapshot && condition(snapshot))
            {
                return snapshot;
            }
        }

        throw new TimeoutException($"Conversion {id} never got there: {runner.Conversions.SingleOrDefault(c => c.Id == id)}");
    }

    /// <summary>The API paths the runner uses, for one Job whose pod runs and logs progress, then succeeds or fails.</summary>
    private sealed class FakeApi : IAsyncDisposable
    {
        private StubServer? _server;
        private int _reads;

        public ConcurrentQueue<JsonObject> Created { get; } = new();

        public ConcurrentQueue<string> Deleted { get; } = new();

        public Uri Address => _server!.Address;

        public static async Task<FakeApi> StartAsync(int completeAfterReads, bool fail = false, bool refuse = false)
        {
            var api = new FakeApi();
            api._server = await StubServer.StartAsync(app => api.Map(app, completeAfterReads, fail, refuse));
            return api;
        }

        public ValueTask DisposeAsync() => _server!.DisposeAsync();

        private void Map(WebApplication app, int completeAfterReads, bool fail, bool refuse)
        {
            app.MapPost("/apis/batch/v1/namespaces/models/jobs", async (HttpContext context) =>
            {
                if (refuse)
                {
                    return Results.Json(
                        new
                        {
                            kind = "Status",
                            apiVersion = "v1",
                            status = "Failure",
                            reason = "Forbidden",
                            code = 403,
                            message = "jobs.batch is forbidden: User \"system:serviceaccount:models:console\" cannot create resource \"jobs\""
                        },
                        statusCode: 403);
                }

                var job = (await context.Request.ReadFromJsonAsync<JsonObject>())!;
                Created.Enqueue(job);
                return Results.Json(job, statusCode: 201);
            });
            app.MapGet("/apis/batch/v1/namespaces/models/jobs/{name}", (string name) =>
            {
                var finished = Interlocked.Increment(ref _reads) > completeAfterReads;
                object status = !finished ? new { active = 1 }
                    : fail ? new { failed = 3, conditions = new[] { new { type = "Failed", status = "True", reason = "BackoffLimitExceeded", message = "Job has reached the specified backoff limit" } } }
                    : new { succeeded = 1, conditions = new[] { new { type = "Complete", status = "True" } } };
                return Results.Json(new { apiVersion = "batch/v1", kind = "Job", metadata = new { name, @namespace = "models" }, status });
            });
            app.MapGet("/api/v1/namespaces/models/pods", (string labelSelector) => Results.Json(new
            {
                apiVersion = "v1",
                kind = "PodList",
                items = new[] { new { metadata = new { name = labelSelector.Replace("job-name=", "", StringComparison.Ordinal) + "-abcde", creationTimestamp = "2026-01-01T00:00:00Z" }, status = new { phase = "Running" } } },
            }));
            app.MapGet("/api/v1/namespaces/models/pods/{pod}/log", (string container, int tailLines) =>
                container == ConverterJob.ContainerName && tailLines > 0
                    ? Results.Text("resolving: hf://EleutherAI/gpt-j-6b@float16\nconverting  [############............]  50% 512.0 MiB of 1024.0 MiB, 140/285, 220.5 MB/s, ETA 00:00:02\n")
                    : Results.BadRequest());
            app.MapDelete("/apis/batch/v1/namespaces/models/jobs/{name}", (string name, string propagationPolicy) =>
            {
                Deleted.Enqueue($"{name}?propagationPolicy={propagationPolicy}");
                return Results.Json(new { kind = "Status", apiVersion = "v1", status = "Success" });
            });
        }
    }
}
