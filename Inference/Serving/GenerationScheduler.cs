using System.Diagnostics;
using System.Threading.Channels;
using Inference.Hosting;
using Inference.Telemetry;
using Microsoft.Extensions.Options;
using Models.Generation;

namespace Inference.Serving;

/// <summary>
/// Continuous batching: requests wait in a bounded queue and join the engine (<see cref="GenerationEngine"/>)
/// between any two of its steps, as soon as it has a place (<see cref="InferenceOptions.MaxBatchSize"/>) and the KV
/// cache their prompt plus max_tokens needs; a sequence that ends, or whose caller leaves, frees both at once for
/// the next. Every protocol submits here, through <see cref="ServedModel"/>, which refuses first what could never
/// fit (the context, the cache). Requests join in arrival order: one that waits for cache room is not overtaken.
/// A request whose caller cancels leaves the queue at once, so a refused or abandoned request holds no place in it;
/// once running, it leaves at the next step.
/// </summary>
public sealed partial class GenerationScheduler(ModelHost host, IOptions<InferenceOptions> options, InferenceMetrics metrics, ILogger<GenerationScheduler> logger) : BackgroundService
{
    private readonly InferenceOptions _options = options.Value;

    // Unbounded: the capacity bounds _queued, the requests still waiting, not the channel, which may also hold
    // withdrawn ones until the scheduler reaches them.
    private readonly Channel<QueuedRequest> _waiting = Channel.CreateUnbounded<QueuedRequest>(new UnboundedChannelOptions { SingleReader = true });
    private int _queued;
    private QueuedRequest? _next; // the oldest request, taken from the channel, waiting for room in the engine

    /// <summary>Requests waiting to join the engine.</summary>
    public int Waiting => Volatile.Read(ref _queued);

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

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        // The engine is synchronous and CPU-bound: its loop has a thread of its own, off the request threads.
        Task.Factory.StartNew(() => Run(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// Admit, step, repeat; idle, wait for a request. On shutdown nothing more joins and whatever waits is refused;
    /// the sequences already running are finished (graceful; the host's shutdown timeout bounds it).
    /// </summary>
    private void Run(CancellationToken stoppingToken)
    {
        GenerationEngine? engine = null;
        while (true)
        {
            if (!stoppingToken.IsCancellationRequested && HasWork())
            {
                engine ??= host.Engine; // requests come only once the model is loaded (ServedModel)
                Admit(engine);
            }

            if (engine is null || engine.Running == 0)
            {
                if (stoppingToken.IsCancellationRequested || !WaitForWork(stoppingToken))
                {
                    break;
                }

                continue;
            }

            try
            {
                metrics.BatchSize.Record(engine.Running);
                engine.Step();
            }
            catch (ObjectDisposedException) when (stoppingToken.IsCancellationRequested)
            {
                break; // the model is going away under a shutdown
            }
            catch (Exception e)
            {
                // Not a forward pass (those fail their own sequences inside the engine): the step itself broke. Its
                // sequences fail with the error rather than wait forever; the emptied engine serves the next ones.
                LogStepFailed(e, engine.Running);
                engine.FailAll(e);
            }
        }

        Refuse();
    }

    private bool HasWork() => _next is not null || _waiting.Reader.TryPeek(out _);

    /// <summary>Blocks until a request arrives; false when the server is stopping.</summary>
    private bool WaitForWork(CancellationToken stoppingToken)
    {
        try
        {
            return _waiting.Reader.WaitToReadAsync(stoppingToken).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Oldest first, as many as have a place and their cache room; one that must wait for room blocks those behind it.</summary>
    private void Admit(GenerationEngine engine)
    {
        while (engine.Running < engine.Limits.MaxSequences)
        {
            if (_next is null && !_waiting.Reader.TryRead(out _next))
            {
                return;
            }

            var queued = _next;
            if (queued.HasLeft)
            {
                _next = null; // withdrawn while it waited
                continue;
            }

            var request = queued.Request;
            if (!engine.CanAdmit(request.Prompt.Count, request.Options.MaxNewTokens) && engine.Running > 0)
            {
                return; // waits for a sequence to end (an idle engine that cannot take it never will: Start fails it)
            }

            _next = null;
            if (Leave(queued)) // else withdrawn just now
            {
                Start(engine, request); // a cancellation from now on is the engine's to handle
            }
        }
    }

    private void Start(GenerationEngine engine, GenerationRequest request)
    {
        var reserved = engine.TokensFor(request.Prompt.Count, request.Options.MaxNewTokens);
        var lastToken = 0L;
        metrics.RunningSequences.Add(1);
        metrics.KvCacheUsedTokens.Add(reserved);
        try
        {
            engine.Add(
                request.Prompt,
                request.Options,
                token =>
                {
                    var now = Stopwatch.GetTimestamp();
                    if (lastToken == 0)
                    {
                        metrics.TimeToFirstToken.Record(Stopwatch.GetElapsedTime(request.EnqueuedAt, now).TotalSeconds);
                    }
                    else
                    {
                        metrics.InterTokenLatency.Record(Stopwatch.GetElapsedTime(lastToken, now).TotalSeconds);
                    }

                    lastToken = now;
                    request.Tokens.Writer.TryWrite(token);
                },
                result =>
                {
                    metrics.RunningSequences.Add(-1);
                    metrics.KvCacheUsedTokens.Add(-reserved);
                    Complete(request, result);
                },
                request.CancellationToken);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // Refused by the engine (the checks before it should have caught it): this request alone fails.
            metrics.RunningSequences.Add(-1);
            metrics.KvCacheUsedTokens.Add(-reserved);
            Complete(request, new GenerationResult(request.Prompt, [], "", FinishReason.Failed) { Error = e });
        }
    }

    private void Complete(GenerationRequest request, GenerationResult result)
    {
        metrics.GeneratedTokens.Add(result.Tokens.Count);
        if (result.Error is { } error)
        {
            // This request alone failed (its options, its sampling, its forward pass): the others go on.
            LogSequenceFailed(error);
            request.Tokens.Writer.TryComplete(error);
            request.Completion.TrySetException(error);
            return;
        }

        request.Tokens.Writer.TryComplete();
        request.Completion.TrySetResult(result);
    }

    /// <summary>Shutting down: whatever still waits is refused.</summary>
    private void Refuse()
    {
        _waiting.Writer.TryComplete();
        var refused = new List<QueuedRequest>();
        if (_next is not null)
        {
            refused.Add(_next);
            _next = null;
        }

        while (_waiting.Reader.TryRead(out var queued))
        {
            refused.Add(queued);
        }

        foreach (var queued in refused.Where(Leave))
        {
            queued.Request.Tokens.Writer.TryComplete();
            queued.Request.Completion.TrySetException(new QueueFullException(0, "The server is shutting down."));
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "One request failed; the others went on")]
    private partial void LogSequenceFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A generation step failed; its {Count} running requests failed with it, the next ones are served")]
    private partial void LogStepFailed(Exception exception, int count);
}
