using Checkpoints.Outputs;
using Tensorizer.Reading;

namespace AdminConsole.Services.Store;

/// <summary>
/// A folder of model folders (the seed's PVC layout: <c>{root}/{model}/model.tensors</c> beside config and tokenizer).
/// Hidden folders are skipped (conversions stage in them); a root that is itself a model folder is listed too.
/// </summary>
public sealed class FolderModelStore(string root) : IModelStore
{
    public string Location => root;

    public async Task<IReadOnlyList<StoredModel>> ListAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(root))
        {
            return [];
        }

        var folders = new DirectoryInfo(root).EnumerateDirectories()
            .Where(d => !d.Name.StartsWith('.'))
            .Prepend(new DirectoryInfo(root))
            .Where(d => File.Exists(Path.Combine(d.FullName, Checkpoints.ModelFiles.TensorsFile)))
            .OrderBy(d => d.Name, StringComparer.Ordinal);
        var models = new List<StoredModel>();
        foreach (var folder in folders)
        {
            var marker = await CompletionMarker.ReadAsync(folder.FullName, cancellationToken);
            var tensors = Path.Combine(folder.FullName, Checkpoints.ModelFiles.TensorsFile);
            models.Add(await ModelSummary.ReadAsync(folder.Name, folder.FullName, ct => TensorFile.OpenAsync(tensors, ct), marker, cancellationToken));
        }

        return models;
    }

    public string OutputFor(string name) => Path.Combine(root, StoreNames.Check(name));
}
