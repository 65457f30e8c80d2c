namespace Checkpoints.Sources;

/// <summary>Waits that must make progress within a time: running out is a stalled connection, which a retry resumes.</summary>
internal static class Deadline
{
    public static async Task<T> WithinAsync<T>(Func<CancellationToken, Task<T>> wait, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await wait(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{what} for {timeout.TotalSeconds:0.#} s.", e);
        }
    }
}
