using AdminConsole.Services.Conversions;

namespace AdminConsole.Tests.Fakes;

/// <summary>Records what the page asks of a runner and shows whatever snapshots a test puts in.</summary>
internal sealed class FakeConversionRunner : IConversionRunner
{
    private readonly List<ConversionSnapshot> _conversions = [];

    public event Action? Changed;

    public string Description => "in a test";

    public List<ConversionSpec> Started { get; } = [];

    public List<string> Cancelled { get; } = [];

    public IReadOnlyList<ConversionSnapshot> Conversions => [.. _conversions];

    public Exception? FailWith { get; set; }

    public void Show(ConversionSnapshot snapshot)
    {
        _conversions.RemoveAll(c => c.Id == snapshot.Id);
        _conversions.Insert(0, snapshot);
        Changed?.Invoke();
    }

    public Task<ConversionSnapshot> StartAsync(ConversionSpec spec, CancellationToken cancellationToken)
    {
        if (FailWith is { } failure)
        {
            throw failure;
        }

        Started.Add(spec);
        var snapshot = new ConversionSnapshot($"c{Started.Count}", spec, spec.SourceUri, $"/store/{spec.Destination}", ConversionState.Pending, DateTimeOffset.UtcNow);
        Show(snapshot);
        return Task.FromResult(snapshot);
    }

    public Task CancelAsync(string id, CancellationToken cancellationToken)
    {
        Cancelled.Add(id);
        return Task.CompletedTask;
    }
}
