namespace AdminConsole.Services.Conversions;

/// <summary>Runs conversions (in the console's process, or as Kubernetes Jobs) and keeps their latest snapshots, newest first.</summary>
public interface IConversionRunner
{
    /// <summary>Where conversions run, in words for the page ("in this process", "as Jobs in namespace x").</summary>
    string Description { get; }

    IReadOnlyList<ConversionSnapshot> Conversions { get; }

    /// <summary>Raised after any snapshot changed; handlers must not block.</summary>
    event Action? Changed;

    /// <summary>Starts a conversion and returns its first snapshot; throws <see cref="ArgumentException"/> for a spec with problems.</summary>
    Task<ConversionSnapshot> StartAsync(ConversionSpec spec, CancellationToken cancellationToken);

    /// <summary>Stops a running conversion; a finished one is left as it is.</summary>
    Task CancelAsync(string id, CancellationToken cancellationToken);
}
