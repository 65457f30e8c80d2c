using System.Collections.Concurrent;
using AdminConsole.Configuration;
using AdminConsole.Services.Store;
using Checkpoints.Conversion;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace AdminConsole.Services.Conversions.Kubernetes;

/// <summary>
/// Conversions as converter Jobs (<see cref="ConverterJob"/>) in the console's namespace: created through the API,
/// then followed by polling the Job, its newest pod and that pod's log tail, whose progress lines give the figures.
/// Cancelling deletes the Job and its pods.
/// </summary>
public sealed partial class KubernetesConversionRunner(
    IKubernetes client, ConverterOptions options, IModelStore store, TimeProvider time, ILogger<KubernetesConversionRunner> logger)
    : IConversionRunner, IAsyncDisposable
{
    private const int LogLines = 40;
    private readonly ConversionBoard _board = new(time);
    private readonly ConcurrentDictionary<string, (CancellationTokenSource Stop, Task Follow)> _following = new();

    public string Description => $"as Kubernetes Jobs in namespace {options.Namespace} (image {options.Image})";

    public IReadOnlyList<ConversionSnapshot> Conversions => _board.All;

    public event Action? Changed
    {
        add => _board.Changed += value;
        remove => _board.Changed -= value;
    }

    public async Task<ConversionSnapshot> StartAsync(ConversionSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Problems() is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(spec));
        }

        if (string.IsNullOrWhiteSpace(options.Image))
        {
            throw new InvalidOperationException("Converter:Image is not configured: the console does not know which image converts.");
        }

        var name = ConverterJob.NameFor(spec.Destination, Guid.NewGuid().ToString("N")[..6]);
        var output = OutputFor(spec.Destination);
        try
        {
            await client.BatchV1.CreateNamespacedJobAsync(ConverterJob.Build(name, spec, output, options), options.Namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e)
        {
            throw new InvalidOperationException($"Kubernetes refused the Job: {KubernetesErrors.MessageOf(e)}", e);
        }

        LogCreated(name, spec.SourceUri, output);
        var snapshot = new ConversionSnapshot(name, spec, spec.SourceUri, output, ConversionState.Pending, time.GetUtcNow()) { Detail = $"Job {name} created." };
        _board.Add(snapshot);
        var stop = new CancellationTokenSource();
        _following[name] = (stop, Task.Run(() => FollowAsync(name, stop.Token), CancellationToken.None));
        return snapshot;
    }

    public async Task CancelAsync(string id, CancellationToken cancellationToken)
    {
        if (_board.Get(id) is not { IsFinished: false })
        {
            return;
        }

        if (_following.TryRemove(id, out var following))
        {
            await following.Stop.CancelAsync();
            await following.Follow.WaitAsync(cancellationToken);
            following.Stop.Dispose();
        }

        try
        {
            await client.BatchV1.DeleteNamespacedJobAsync(id, options.Namespace, propagationPolicy: "Background", cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            // already gone
        }

        _board.Update(id, s => s with { State = ConversionState.Cancelled, Eta = null, Detail = $"Job {id} deleted." });
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (stop, _) in _following.Values)
        {
            await stop.CancelAsync();
        }

        await Task.WhenAll(_following.Values.Select(f => f.Follow));
    }

    /// <summary>In the Job, a folder store is the PVC at its mount path; an S3 store is the same prefix everywhere.</summary>
    private string OutputFor(string destination) => store is S3ModelStore
        ? store.OutputFor(destination)
        : $"{options.MountPath.TrimEnd('/')}/{StoreNames.Check(destination)}";

    private async Task FollowAsync(string name, CancellationToken stop)
    {
        var started = time.GetTimestamp();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var next = await ObserveAsync(name, stop);
                var snapshot = _board.Update(name, s => next(s) with { Elapsed = time.GetElapsedTime(started) });
                if (snapshot.IsFinished)
                {
                    LogFinished(name, snapshot.State);
                    return;
                }

                await Task.Delay(options.PollInterval, time, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // cancelled: CancelAsync records it
        }
    }

    /// <summary>One look at the Job, its pod and log; returns how the snapshot changes.</summary>
    private async Task<Func<ConversionSnapshot, ConversionSnapshot>> ObserveAsync(string name, CancellationToken stop)
    {
        V1Job job;
        try
        {
            job = await client.BatchV1.ReadNamespacedJobAsync(name, options.Namespace, cancellationToken: stop);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return s => s with { State = ConversionState.Failed, Error = $"Job {name} no longer exists (deleted outside the console?)." };
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            return s => s with { Detail = $"Kubernetes API: {KubernetesErrors.MessageOf(e)}" };
        }

        var pod = await NewestPodAsync(name, stop);
        var log = pod is { Status.Phase: not "Pending" } ? await LogTailAsync(pod.Metadata.Name, stop) : [];
        var progress = ConverterLog.LastProgress(log);
        var failed = job.Status?.Conditions?.FirstOrDefault(c => c.Type == "Failed" && c.Status == "True");
        var complete = job.Status?.Succeeded > 0 || job.Status?.Conditions?.Any(c => c.Type == "Complete" && c.Status == "True") == true;
        var state = complete ? ConversionState.Completed
            : failed is not null ? ConversionState.Failed
            : job.Status?.Active > 0 && pod is { Status.Phase: "Running" } ? ConversionState.Running
            : ConversionState.Pending;
        return s => s with
        {
            State = state,
            Phase = complete ? ConversionPhase.Completed : progress?.Phase ?? s.Phase,
            BytesDone = progress?.BytesDone ?? s.BytesDone,
            TotalBytes = progress?.TotalBytes ?? s.TotalBytes,
            ItemsDone = progress?.ItemsDone ?? s.ItemsDone,
            ItemCount = progress?.ItemCount ?? s.ItemCount,
            Item = progress?.Item ?? s.Item,
            BytesPerSecond = progress?.BytesPerSecond ?? s.BytesPerSecond,
            Eta = complete || failed is not null ? null : progress?.Eta ?? s.Eta,
            Error = failed is null ? null : $"{failed.Reason}: {failed.Message}{(log.Count > 0 ? $" Last log line: {log[^1]}" : "")}",
            Detail = PodDetail(name, pod),
            Log = log.Count > 0 ? log : s.Log,
        };
    }

    private async Task<V1Pod?> NewestPodAsync(string job, CancellationToken stop)
    {
        try
        {
            var pods = await client.CoreV1.ListNamespacedPodAsync(options.Namespace, labelSelector: $"job-name={job}", cancellationToken: stop);
            return pods.Items.OrderByDescending(p => p.Metadata.CreationTimestamp).FirstOrDefault();
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            return null; // the next poll tries again; the Job's own status still decides the state
        }
    }

    private async Task<IReadOnlyList<string>> LogTailAsync(string pod, CancellationToken stop)
    {
        try
        {
            await using var stream = await client.CoreV1.ReadNamespacedPodLogAsync(pod, options.Namespace, container: ConverterJob.ContainerName, tailLines: LogLines, cancellationToken: stop);
            using var reader = new StreamReader(stream);
            var text = await reader.ReadToEndAsync(stop);
            return text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            return [];
        }
    }

    /// <summary>Why a pod is not running yet (image pulls, scheduling), in the pod's own words.</summary>
    private static string PodDetail(string job, V1Pod? pod)
    {
        if (pod is null)
        {
            return $"Job {job}: no pod yet.";
        }

        var waiting = pod.Status?.ContainerStatuses?.Select(c => c.State?.Waiting).FirstOrDefault(w => w is not null);
        var scheduling = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled" && c.Status == "False");
        return waiting is not null ? $"Job {job}, pod {pod.Metadata.Name}: {waiting.Reason} {waiting.Message}".TrimEnd()
            : scheduling is not null ? $"Job {job}, pod {pod.Metadata.Name}: {scheduling.Reason} {scheduling.Message}".TrimEnd()
            : $"Job {job}, pod {pod.Metadata.Name}: {pod.Status?.Phase}";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created converter Job {Job}: {Source} into {Output}")]
    private partial void LogCreated(string job, string source, string output);

    [LoggerMessage(Level = LogLevel.Information, Message = "Converter Job {Job} finished: {State}")]
    private partial void LogFinished(string job, ConversionState state);
}
