using Tensorizer.Crypto;
using Tensorizer.Writing;

namespace Checkpoints.Outputs;

/// <summary>
/// Where a converted model goes. Nothing written looks complete until <see cref="CommitAsync"/> writes the
/// completion marker, last; an old marker goes before anything it vouches for changes.
/// </summary>
internal interface IModelOutput : IDisposable
{
    string Location { get; }

    Task<CompletionMarker?> ReadMarkerAsync(CancellationToken cancellationToken);

    /// <summary>Removes what earlier, interrupted runs left beside the model (never the model or its marker).</summary>
    Task RemoveLeftoversAsync(CancellationToken cancellationToken);

    Task BeginAsync(CancellationToken cancellationToken);

    /// <summary>Writes <c>model.tensors</c>, encrypted as upstream does when <paramref name="encryption"/> is given.</summary>
    Task WriteTensorsAsync(IReadOnlyList<TensorToWrite> tensors, TensorEncryption? encryption, CancellationToken cancellationToken);

    Task AddFileAsync(string localPath, string name, CancellationToken cancellationToken);

    Task CommitAsync(CompletionMarker marker, CancellationToken cancellationToken);
}
