using System.Threading.Channels;
using Models.Generation;

namespace Inference.Serving;

/// <summary>
/// One prompt waiting for, then in, a batch: its tokens, options and caller's cancellation; tokens stream out
/// through <see cref="Tokens"/> and the result completes <see cref="Completion"/>.
/// </summary>
public sealed class GenerationRequest(IReadOnlyList<int> prompt, GenerationOptions options, CancellationToken cancellationToken)
{
    public IReadOnlyList<int> Prompt { get; } = prompt;

    public GenerationOptions Options { get; } = options;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public long EnqueuedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    public Channel<GeneratedToken> Tokens { get; } = Channel.CreateUnbounded<GeneratedToken>(new UnboundedChannelOptions { SingleWriter = true });

    public TaskCompletionSource<GenerationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
