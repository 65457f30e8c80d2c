using System.Collections.Concurrent;
using AdminConsole.Formatting;
using AdminConsole.Services.Store;
using Checkpoints.Conversion;

namespace AdminConsole.Services.Conversions;

/// <summary>
/// Conversions in the console's own process, through the Checkpoints library (what the Downloader's <c>convert</c>
/// runs): one background task per conversion, cancelled by its own token, and all of them when the console stops.
/// </summary>
public sealed partial class LocalConversionRunner(IModelStore store, TimeProvider time, ILogger<LocalConversionRunner> logger)
    : IConversionRunner, IAsyncDisposable
{
    private readonly ConversionBoard _board = new(time);
    private readonly ConcurrentDictionary<string, (CancellationTokenSource Cancel, Task Run)> _running = new();

    public string Description => $"in this process, into {store.Location}";

    public IReadOnlyList<ConversionSnapshot> Conversions => _board.All;

    public event Action? Changed
    {
        add => _board.Changed += value;
        remove => _board.Changed -= value;
    }

    public Task<ConversionSnapshot> StartAsync(ConversionSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Problems() is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(spec));
        }

        var id = Guid.NewGuid().ToString("N")[..12];
        var request = new ConversionRequest { Source = spec.SourceUri, Output = store.OutputFor(spec.Destination), Dtype = spec.Dtype, Force = spec.Force };
        var snapshot = new ConversionSnapshot(id, spec, request.Source, request.Output, ConversionState.Pending, time.GetUtcNow());
        _board.Add(snapshot);
        var cancel = new CancellationTokenSource();
        _running[id] = (cancel, Task.Run(() => RunAsync(id, request, cancel.Token), CancellationToken.None));
        return Task.FromResult(snapshot);
    }

    public async Task CancelAsync(string id, CancellationToken cancellationToken)
    {
        if (_running.TryGetValue(id, out var running))
        {
            await running.Cancel.CancelAsync();
            await running.Run.WaitAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (cancel, _) in _running.Values)
        {
            await cancel.CancelAsync();
        }

        await Task.WhenAll(_running.Values.Select(r => r.Run));
    }

    private async Task RunAsync(string id, ConversionRequest request, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        try
        {
            LogStarted(request.Source, request.Output);
            var result = await ModelConverter.ConvertAsync(request, new ProgressReporter(_board, id, time), cancellationToken);
            _board.Update(id, s => s with
            {
                State = ConversionState.Completed,
                Phase = ConversionPhase.Completed,
                Eta = null,
                Elapsed = time.GetElapsedTime(started),
                Detail = result.Skipped
                    ? $"Already complete for revision {result.Revision}: nothing converted (tick Force to convert again)."
                    : $"{result.Tensors} tensors, {Units.Bytes(result.Bytes)} at revision {result.Revision}.",
            });
            LogFinished(request.Output, result.Tensors, result.Bytes);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _board.Update(id, s => s with { State = ConversionState.Cancelled, Eta = null, Elapsed = time.GetElapsedTime(started) });
        }
        catch (Exception e)
        {
            LogFailed(e, request.Source);
            _board.Update(id, s => s with { State = ConversionState.Failed, Eta = null, Elapsed = time.GetElapsedTime(started), Error = e.Message });
        }
        finally
        {
            if (_running.TryRemove(id, out var running))
            {
                running.Cancel.Dispose();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Converting {Source} into {Output}")]
    private partial void LogStarted(string source, string output);

    [LoggerMessage(Level = LogLevel.Information, Message = "Converted {Output}: {Tensors} tensors, {Bytes} bytes")]
    private partial void LogFinished(string output, int tensors, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Conversion of {Source} failed")]
    private partial void LogFailed(Exception exception, string source);
}
