namespace Checkpoints.Tests.Hub;

/// <summary>One hub server and one tiny checkpoint (plus the original model folder) for all hub tests.</summary>
public sealed class HubFixture : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("checkpoints-hub-").FullName;

    internal HubServer Hub { get; private set; } = null!;

    public string Original => Path.Combine(_root, "original");

    public string Checkpoint => Path.Combine(_root, "checkpoint");

    public async Task InitializeAsync()
    {
        await TinyCheckpoint.WriteShardedSafetensorsAsync(Original, Checkpoint);
        Hub = await HubServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Hub.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }
}
