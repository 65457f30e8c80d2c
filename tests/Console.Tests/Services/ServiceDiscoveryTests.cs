using AdminConsole.Services.Inference;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AdminConsole.Tests.Services;

/// <summary>Addresses come from configuration: Aspire's <c>services:*</c> references, resolved by service discovery.</summary>
public sealed class ServiceDiscoveryTests
{
    [Fact]
    public async Task A_service_the_apphost_references_is_found_and_resolved_without_console_settings()
    {
        await using var service = await StubServer.StartAsync(app => app.MapGet("/status", () => Results.Text(
            """{"phase":"warming_up","bytesRead":10,"totalBytes":10,"bytesPerSecond":5.5,"startedAt":"2026-01-01T00:00:00+00:00","elapsed":"00:00:02","location":"/m/model.tensors","error":null}""",
            "application/json")));
        var store = Directory.CreateTempSubdirectory("console-store-").FullName;
        await using var console = await EndToEnd.Servers.StartConsoleAsync(new()
        {
            ["services:inference:http:0"] = service.Address.ToString(), // as the AppHost's WithReference(inference) sets it
            ["Console:ModelStore"] = store,
        });

        var client = Assert.Single(console.Services.GetRequiredService<IInferenceClients>().All);
        var status = await client.GetStatusAsync(CancellationToken.None);

        Assert.Equal(("inference", "https+http://inference/"), (client.Name, client.Address.ToString()));
        Assert.Equal((LoadPhase.WarmingUp, TimeSpan.FromSeconds(2), 5.5), (status.Phase, status.Elapsed, status.BytesPerSecond));
        Directory.Delete(store, recursive: true);
    }
}
