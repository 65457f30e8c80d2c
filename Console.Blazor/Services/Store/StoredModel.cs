namespace AdminConsole.Services.Store;

/// <summary>
/// A model in the store: its tensors as the index says (count, bytes, dtypes) and where it came from as the
/// completion marker says. A model without a marker is incomplete (a conversion running, or one that died);
/// one whose index cannot be read carries the reason in <see cref="Error"/>.
/// </summary>
public sealed record StoredModel(
    string Name,
    string Location,
    bool Complete,
    int Tensors,
    long Bytes,
    IReadOnlyList<string> Dtypes,
    string? Source,
    string? Revision,
    string? Error);

/// <summary>Where converted models live: a folder (the PVC) or an S3 prefix, one model per child.</summary>
public interface IModelStore
{
    /// <summary>The store's root, as configured.</summary>
    string Location { get; }

    Task<IReadOnlyList<StoredModel>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Where a model named <paramref name="name"/> goes: a folder under the root, or a prefix under it.</summary>
    string OutputFor(string name);
}
