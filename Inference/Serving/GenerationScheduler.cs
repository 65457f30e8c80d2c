using System.Diagnostics;
using System.Threading.Channels;
using Inference.Hosting;
using Inference.Telemetry;
using Microsoft.Extensions.Options;
using Models.Generation;

namespace Inference.Serving;

/// <summary>
/// Dynamic batching: requests wait in a bounded queue; whenever the model is free, every waiting request (up to
/// the batch size) runs as one batch through the shared generation engine. Every protocol submits here, through
/// <see cref="ServedModel"/>, which checks each request against the model's context first. A request whose caller
/// cancels leaves the queue at once, so a refused or abandoned request holds no place in it.
/// </summary>
public sealed partial class GenerationScheduler(ModelHost host, IOptions<InferenceOptions> options, InferenceMetrics metrics, ILogger<GenerationScheduler> logger) : BackgroundService
{
    private readonly InferenceOptions _options = options.Value;

    // Unbounded: the capacity bounds _queued, the requests still waiting, not the channel, which may also hold
    // withdrawn ones until the scheduler reaches them.
    private readonly Channel<QueuedRequest> _waiting = Channel.CreateUnbounded<QueuedRequest>(new UnboundedChannelOptions { SingleReader = true });
    private int _queued;

    /// <summary>Queues a prompt; tokens stream from the returned request, which completes with the result.</summary>
    /// <exception cref="QueueFullException">Too many requests are waiting.</exception>
    /// <exception cref="ArgumentException">Invalid options: a bug, as every protocol validates what it passes.</exception>
    public GenerationRequest Submit(IReadOnlyList<int> prompt, GenerationOptions generation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(generation);
        generation.Validate();
        if (Interlocked.Increment(ref _queued) > _options.QueueCapacity)
        {
            Interlocked.Decrement(ref _queued);
            throw new QueueFullException(_options.QueueCapacity);
        }

        metrics.QueueDepth.Add(1);
        var queued = new QueuedRequest(new GenerationRequest(prompt, generation, cancellationToken));
        queued.Withdrawal = cancellationToken.Register(() =>
        {
            if (Leave(queued))
            {
                queued.Request.Tokens.Writer.TryComplete();
                queued.Request.Completion.TrySetCanceled(cancellationToken);
            }
        });
        if (!_waiting.Writer.TryWrite(queued))
        {
            Leave(queued);
            throw new QueueFullException(0, "The server is shutting down.");
        }

        return queued.Request;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await ScheduleAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the batch in flight has finished (see Run); whatever still waits is refused.
            _waiting.Writer.TryComplete();
            while (_waiting.Reader.TryRead(out var queued))
            {
                if (Leave(queued))
                {
                    queued.Request.Completion.TrySetException(new QueueFullException(0, "The server is shutting down."));
                }
            }
        }
    }

    private async Task ScheduleAsync(CancellationToken stoppingToken)
    {
        while (await _waiting.Reader.WaitToReadAsync(stoppingToken))
        {
            var batch = new List<GenerationRequest>();
            while (batch.Count < _options.MaxBatchSize && _waiting.Reader.TryRead(out var queued))
            {
                if (Leave(queued)) // else withdrawn while it waited
                {
                    batch.Add(queued.Request); // a cancellation from now on is the engine's to handle
                }
            }

            if (batch.Count > 0)
            {
                // The engine is synchronous and CPU-bound: run it off the request threads. A batch already running
                // is finished even during shutdown (graceful; the host's shutdown timeout bounds it).
                await Task.Factory.StartNew(() => Run(batch), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Takes the request out of the queue's count, once: false if it already left.</summary>
    private bool Leave(QueuedRequest queued)
    {
        if (!queued.TryLeave())
        {
            return false;
        }

        queued.Withdrawal.Unregister();
        Interlocked.Decrement(ref _queued);
        metrics.QueueDepth.Add(-1);
        return true;
    }

    private void Run(List<GenerationRequest> batch)
    {
        metrics.BatchSize.Record(batch.Count);
        using var activity = InferenceMetrics.Activities.StartActivity("generate");
        activity?.SetTag("batch.size", batch.Count);
        var firstToken = new bool[batch.Count];
        try
        {
            var results = host.Generator.Generate(
                [.. batch.Select(r => r.Prompt)],
                [.. batch.Select(r => r.Options)],
                (i, token) =>
                {
                    if (!firstToken[i])
                    {
                        firstToken[i] = true;
                        metrics.TimeToFirstToken.Record(Stopwatch.GetElapsedTime(batch[i].EnqueuedAt).TotalSeconds);
                    }

                    batch[i].Tokens.Writer.TryWrite(token);
                },
                [.. batch.Select(r => r.CancellationToken)]);
            for (var i = 0; i < batch.Count; i++)
            {
                metrics.GeneratedTokens.Add(results[i].Tokens.Count);
                if (results[i].Error is { } error)
                {
                    // This request alone failed (its options, its sampling): its neighbours have their results.
                    LogSequenceFailed(error);
                    batch[i].Tokens.Writer.TryComplete(error);
                    batch[i].Completion.TrySetException(error);
                    continue;
                }

                batch[i].Tokens.Writer.TryComplete();
                batch[i].Completion.TrySetResult(results[i]);
            }
        }
        catch (Exception e)
        {
            // The forward pass itself failed: no sequence of the batch has a result.
            LogBatchFailed(e, batch.Count);
            foreach (var request in batch)
            {
                request.Tokens.Writer.TryComplete(e);
                request.Completion.TrySetException(e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "One request of a batch failed; the others went on")]
    private partial void LogSequenceFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A batch of {Count} requests failed")]
    private partial void LogBatchFailed(Exception exception, int count);
}
