using Checkpoints.Outputs;
using Tensorizer.Reading;

namespace AdminConsole.Services.Store;

/// <summary>Describes one model from its <c>model.tensors</c> index (no tensor data is read) and its completion marker.</summary>
internal static class ModelSummary
{
    /// <param name="open">Opens the model's <c>model.tensors</c> (a path, or S3 through the store's own client).</param>
    public static async Task<StoredModel> ReadAsync(
        string name, string location, Func<CancellationToken, Task<TensorFile>> open, CompletionMarker? marker, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(open);
        try
        {
            await using var file = await open(cancellationToken);
            var dtypes = file.Index.Select(e => DtypeName(e.Dtype.ElementType)).Distinct().Order(StringComparer.Ordinal).ToList();
            return new StoredModel(name, location, marker is not null, file.Index.Count, file.Index.DataBytes, dtypes, marker?.Source, marker?.Revision, null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new StoredModel(name, location, false, 0, 0, [], marker?.Source, marker?.Revision, $"{Checkpoints.ModelFiles.TensorsFile} is unreadable: {e.Message}");
        }
    }

    /// <summary>torch's names (float16, bfloat16, …), as the conversion form and the marker spell them.</summary>
    public static string DtypeName(Tensorizer.Format.TensorElementType type) => type.ToString().ToLowerInvariant();
}
