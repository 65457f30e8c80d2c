namespace TestSupport;

/// <summary>
/// Collects garbage and runs finalizers about a thousand times a second on another thread until disposed of: the
/// worst case for native handles that managed wrappers release in their finalizers (TorchSharp's tensors and
/// scalars). A generation that survives this survives a busy server's allocation rate.
/// </summary>
public sealed class GarbageCollectionPressure : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    public GarbageCollectionPressure()
    {
        _thread = new Thread(() =>
        {
            while (!_stop.IsCancellationRequested)
            {
                GC.Collect(0); // the wrappers that matter are young temporaries; gen-0 collections are cheap enough to run back to back
                GC.WaitForPendingFinalizers();
                Thread.Sleep(1); // leaves the other core to the work under test on a 2-core machine
            }
        })
        { IsBackground = true, Name = "gc-pressure" };
        _thread.Start();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }
}
