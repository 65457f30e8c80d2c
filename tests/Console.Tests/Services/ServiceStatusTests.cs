using System.Text.Json;
using AdminConsole.Services.Inference;

namespace AdminConsole.Tests.Services;

/// <summary>The console's copy of <c>/status</c> reads both the staged answer and an older service's, without stages.</summary>
public sealed class ServiceStatusTests
{
    private const string Older =
        """{"phase":"ready","bytesRead":1218521536,"totalBytes":1218521536,"bytesPerSecond":4.0E8,"startedAt":"2026-01-01T00:00:00+00:00","elapsed":"00:00:03","location":"/m/model.tensors","error":null}""";

    private const string Staged =
        """
        {"phase":"ready","bytesRead":1218521536,"totalBytes":1218521536,"bytesPerSecond":4.0E8,"startedAt":"2026-01-01T00:00:00+00:00",
         "elapsed":"00:00:03","location":"/m/model.tensors","error":null,"stage":null,
         "stages":[{"stage":"runtime","seconds":0.91,"bytes":0,"bytesPerSecond":0},
                   {"stage":"tokenizer","seconds":0.3,"bytes":0,"bytesPerSecond":0},
                   {"stage":"construction","seconds":0.12,"bytes":0,"bytesPerSecond":0},
                   {"stage":"read","seconds":0.447,"bytes":1218521536,"bytesPerSecond":2.73E9},
                   {"stage":"warm_up","seconds":1.2,"bytes":0,"bytesPerSecond":0}]}
        """;

    [Fact]
    public void An_older_status_without_stages_reads_with_none_and_keeps_its_overall_rate()
    {
        var status = Read(Older);

        Assert.Equal((LoadPhase.Ready, TimeSpan.FromSeconds(3), 4e8), (status.Phase, status.Elapsed, status.BytesPerSecond));
        Assert.Null(status.Stage);
        Assert.Empty(status.Stages);
        Assert.Equal(4e8, status.ReadRate);
    }

    [Fact]
    public void A_staged_status_reads_every_stage_and_its_read_rate_is_the_read_stages()
    {
        var status = Read(Staged);

        Assert.Equal(
            [LoadStage.Runtime, LoadStage.Tokenizer, LoadStage.Construction, LoadStage.Read, LoadStage.WarmUp],
            status.Stages.Select(s => s.Stage));
        Assert.Equal(new StageStatus(LoadStage.Read, 0.447, 1218521536, 2.73e9), status.Stages[3]);
        Assert.Equal(2.73e9, status.ReadRate);
    }

    [Fact]
    public void A_loading_status_names_its_current_stage()
    {
        var status = Read(Older.Replace("\"phase\":\"ready\"", "\"phase\":\"warming_up\",\"stage\":\"warm_up\",\"stages\":null", StringComparison.Ordinal));

        Assert.Equal((LoadPhase.WarmingUp, LoadStage.WarmUp), (status.Phase, status.Stage));
        Assert.Empty(status.Stages);
    }

    private static ServiceStatus Read(string json) => JsonSerializer.Deserialize<ServiceStatus>(json, InferenceClient.Json)!;
}
