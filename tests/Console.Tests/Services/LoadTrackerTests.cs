using AdminConsole.Services.Inference;
using AdminConsole.Services.Loads;

namespace AdminConsole.Tests.Services;

public sealed class LoadTrackerTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly ServiceLoad Fresh = ServiceLoad.Unknown("gptj", new Uri("http://gptj.test/"));

    [Fact]
    public void A_load_gets_a_point_per_poll_and_joins_the_history_once_when_ready()
    {
        var load = Fresh;
        load = Observe(load, Status(LoadPhase.Reading, 100, 1));
        load = Observe(load, Status(LoadPhase.Reading, 300, 2));
        load = Observe(load, Status(LoadPhase.Ready, 400, 3));
        load = Observe(load, Status(LoadPhase.Ready, 400, 3));

        Assert.Equal([1.0, 2.0, 3.0], load.Points.Select(p => p.Seconds));
        var record = Assert.Single(load.History);
        Assert.Equal((LoadPhase.Ready, 400L, TimeSpan.FromSeconds(3)), (record.Outcome, record.Bytes, record.Duration));
        Assert.True(load.IsReady);
    }

    [Fact]
    public void A_restart_is_a_new_load_with_its_own_chart()
    {
        var load = Observe(Observe(Fresh, Status(LoadPhase.Reading, 100, 1)), Status(LoadPhase.Failed, 100, 2) with { Error = "disk gone" });

        var restarted = Observe(load, Status(LoadPhase.Opening, 0, 0.1, Start.AddMinutes(1)));

        Assert.Equal([0.1], restarted.Points.Select(p => p.Seconds));
        var failed = Assert.Single(restarted.History);
        Assert.Equal("disk gone", failed.Error);
    }

    [Fact]
    public void A_service_that_goes_away_keeps_its_last_status_marked_unreachable()
    {
        var load = Observe(Fresh, Status(LoadPhase.Ready, 400, 3));

        var down = LoadTracker.Unreachable(load, "gone");

        Assert.False(down.Reachable);
        Assert.False(down.IsReady);
        Assert.Equal("gone", down.Error);
        Assert.Equal(LoadPhase.Ready, down.Status?.Phase);
        Assert.Equal(load.History, down.History);
    }

    private static ServiceLoad Observe(ServiceLoad load, ServiceStatus status) => LoadTracker.Observe(load, status, Start, TimeSpan.FromMilliseconds(2));

    private static ServiceStatus Status(LoadPhase phase, long bytes, double seconds, DateTimeOffset? started = null) =>
        new(phase, bytes, 400, bytes / seconds, started ?? Start, TimeSpan.FromSeconds(seconds), "/m/model.tensors", null);
}
