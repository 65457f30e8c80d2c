using Tensorizer.Format;

namespace Tensorizer.Reading;

/// <summary>
/// Weights the parallel loader reads: a <c>.tensors</c> file (<see cref="TensorFile"/>) or a safetensors
/// checkpoint, single or sharded (<see cref="SafetensorsCheckpoint"/>). Both list their tensors without reading any
/// data, then load the chosen ones in parallel into targets the caller provides.
/// </summary>
public interface ITensorCheckpoint : IAsyncDisposable
{
    /// <summary>Where the weights are, for messages and telemetry.</summary>
    string Location { get; }

    IReadOnlyList<TensorEntry> Tensors { get; }

    /// <summary>
    /// Loads <paramref name="entries"/> with <see cref="LoadOptions.Readers"/> parallel readers into the targets
    /// <paramref name="targetFor"/> returns (called once per tensor, in the order they will be read, before any data is read).
    /// </summary>
    Task LoadAsync(
        IEnumerable<TensorEntry> entries,
        Func<TensorEntry, ITensorTarget> targetFor,
        LoadOptions? options = null,
        IProgress<LoadProgress>? progress = null,
        CancellationToken cancellationToken = default);
}
