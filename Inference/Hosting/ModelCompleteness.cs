using Checkpoints.Outputs;

namespace Inference.Hosting;

/// <summary>
/// Whether a model folder carries the converter's completion marker, which it writes last: without it the folder may
/// be a conversion still running or one that was killed. By default that is a warning (folders made by other tools
/// have no marker); with <c>REQUIRE_COMPLETE_MODEL=true</c> the load is refused.
/// </summary>
internal static partial class ModelCompleteness
{
    /// <param name="modelPath">MODEL_PATH, for messages.</param>
    /// <param name="folder">Where its files are on local disk (a temporary copy of an S3 model's small files).</param>
    public static async Task CheckAsync(string modelPath, string folder, bool required, ILogger logger, CancellationToken cancellationToken)
    {
        if (await CompletionMarker.ReadAsync(folder, cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }

        if (required)
        {
            throw new IncompleteModelException(
                $"{modelPath} has no readable {CompletionMarker.FileName}: the conversion may be unfinished (REQUIRE_COMPLETE_MODEL is set, so it is not loaded).");
        }

        LogNoMarker(logger, modelPath, CompletionMarker.FileName);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{ModelPath} has no readable {Marker}: it may be an unfinished conversion; loading it anyway (set REQUIRE_COMPLETE_MODEL=true to refuse)")]
    private static partial void LogNoMarker(ILogger logger, string modelPath, string marker);
}

/// <summary>A model folder without a completion marker, refused because <c>REQUIRE_COMPLETE_MODEL</c> is set.</summary>
public sealed class IncompleteModelException : Exception
{
    public IncompleteModelException(string message) : base(message) { }

    public IncompleteModelException(string message, Exception inner) : base(message, inner) { }
}
