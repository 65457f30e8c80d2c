using AdminConsole.Services.Store;

namespace AdminConsole.Tests.Fakes;

internal sealed class FakeModelStore(params StoredModel[] models) : IModelStore
{
    public int Listings { get; private set; }

    public Exception? FailWith { get; set; }

    public string Location => "/store";

    public Task<IReadOnlyList<StoredModel>> ListAsync(CancellationToken cancellationToken)
    {
        Listings++;
        return FailWith is { } failure ? Task.FromException<IReadOnlyList<StoredModel>>(failure) : Task.FromResult<IReadOnlyList<StoredModel>>(models);
    }

    public string OutputFor(string name) => $"/store/{name}";
}
