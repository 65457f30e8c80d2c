using System.Net.Http.Json;
using System.Text.Json;

namespace Inference.Tests;

/// <summary>The load's telemetry tells each stage apart: /status lists them, /metrics has one phase label per stage.</summary>
public class LoadTelemetryTests(InferenceServer server) : IClassFixture<InferenceServer>
{
    [Fact]
    public async Task Status_and_metrics_report_every_stage_of_the_load_separately()
    {
        var status = await server.Client.GetFromJsonAsync<JsonElement>("/status");
        Assert.Equal("ready", status.GetProperty("phase").GetString());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("stage").ValueKind);
        var stages = status.GetProperty("stages").EnumerateArray().ToDictionary(s => s.GetProperty("stage").GetString()!);
        Assert.Equal(["construction", "read", "runtime", "tokenizer", "warm_up"], stages.Keys.Order());

        var read = stages["read"];
        Assert.True(read.GetProperty("bytes").GetInt64() > 10_000_000, "the read counts the weights' bytes");
        Assert.True(read.GetProperty("bytesPerSecond").GetDouble() > 0);
        Assert.Equal(0, stages["tokenizer"].GetProperty("bytes").GetInt64());

        var metrics = await server.Client.GetStringAsync("/metrics");
        foreach (var phase in stages.Keys)
        {
            Assert.Contains($"inference_load_duration_seconds_count{{otel_scope_name=\"Inference\",phase=\"{phase}\"}}", metrics, StringComparison.Ordinal);
        }
    }
}
