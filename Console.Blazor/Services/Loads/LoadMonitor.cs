using System.Collections.Concurrent;
using System.Diagnostics;
using AdminConsole.Configuration;
using AdminConsole.Services.Inference;

namespace AdminConsole.Services.Loads;

/// <summary>What the load pages read: each service's current load and history, and a signal when any changes.</summary>
public interface ILoadMonitor
{
    IReadOnlyList<ServiceLoad> Services { get; }

    /// <summary>Raised after a poll changed something; handlers must not block (pages re-render on their own dispatcher).</summary>
    event Action? Changed;
}

/// <summary>
/// Polls every service's <c>/status</c> on its own loop (one slow or dead service never delays another), each poll
/// bounded by the status timeout, and keeps what <see cref="LoadTracker"/> makes of the answers, in memory.
/// </summary>
public sealed partial class LoadMonitor(IInferenceClients clients, ConsoleOptions options, TimeProvider time, ILogger<LoadMonitor> logger)
    : BackgroundService, ILoadMonitor
{
    private readonly ConcurrentDictionary<string, ServiceLoad> _loads = new(
        clients.All.Select(c => KeyValuePair.Create(c.Name, ServiceLoad.Unknown(c.Name, c.Address))), StringComparer.OrdinalIgnoreCase);

    public event Action? Changed;

    public IReadOnlyList<ServiceLoad> Services => [.. clients.All.Select(c => _loads[c.Name])];

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(clients.All.Select(client => PollAsync(client, stoppingToken)));

    private async Task PollAsync(IInferenceClient client, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.PollInterval, time);
        do
        {
            var before = _loads[client.Name];
            var started = Stopwatch.GetTimestamp();
            ServiceLoad after;
            try
            {
                var status = await client.GetStatusAsync(stoppingToken);
                after = LoadTracker.Observe(before, status, time.GetUtcNow(), Stopwatch.GetElapsedTime(started));
            }
            catch (InferenceException e)
            {
                if (before.Reachable || before.IsPending)
                {
                    LogUnreachable(client.Name, e.Message);
                }

                after = LoadTracker.Unreachable(before, e.Message);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            _loads[client.Name] = after;
            if (after != before)
            {
                Changed?.Invoke();
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inference service {Service} is unreachable: {Error}")]
    private partial void LogUnreachable(string service, string error);
}
