namespace Inference.Serving;

/// <summary>
/// A request in the scheduler's queue. It leaves exactly once: taken into the engine, or withdrawn (its caller
/// cancelled, or the server shut down); whichever comes first frees its place in the queue.
/// </summary>
internal sealed class QueuedRequest(GenerationRequest request)
{
    private int _left;

    public GenerationRequest Request { get; } = request;

    /// <summary>Withdraws the request when its caller cancels; undone when it is taken.</summary>
    public CancellationTokenRegistration Withdrawal { get; set; }

    /// <summary>Withdrawn or taken already.</summary>
    public bool HasLeft => Volatile.Read(ref _left) == 1;

    /// <summary>True for the one caller that makes the request leave the queue.</summary>
    public bool TryLeave() => Interlocked.Exchange(ref _left, 1) == 0;
}
