using AdminConsole.Services.Conversions;
using AdminConsole.Services.Conversions.Kubernetes;
using Checkpoints.Conversion;

namespace AdminConsole.Tests.Services;

public sealed class ConverterLogTests
{
    [Fact]
    public void The_downloaders_progress_lines_give_phase_bytes_items_rate_and_eta()
    {
        // As Downloader's ConversionProgressLine writes them when its output is not a terminal.
        string[] log =
        [
            "resolving: hf://EleutherAI/gpt-j-6b@float16",
            "downloading [######..................]  25% 3.00 GiB of 12.00 GiB, 1/3, 150.0 MB/s, ETA 00:01:04",
            "converting  [############............]  50% 512.0 MiB of 1024.0 MiB, 140/285, 220.5 MB/s, ETA 00:00:02",
            "some other line",
        ];

        var progress = ConverterLog.LastProgress(log);

        Assert.NotNull(progress);
        Assert.Equal(ConversionPhase.Converting, progress.Phase);
        Assert.Equal(512L << 20, progress.BytesDone);
        Assert.Equal(1024L << 20, progress.TotalBytes);
        Assert.Equal((140, 285), (progress.ItemsDone, progress.ItemCount));
        Assert.Equal(220.5e6, progress.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(2), progress.Eta);
        Assert.Equal(ConversionPhase.Resolving, ConverterLog.Parse(log[0])?.Phase);
        Assert.Equal(3L << 30, ConverterLog.Parse(log[1])?.BytesDone);
        Assert.Null(ConverterLog.LastProgress(["Unhandled exception. System.IO.IOException: No space left on device"]));
    }

    [Fact]
    public void The_rate_is_over_a_sliding_window_and_gives_an_eta()
    {
        var rate = new RateEstimator(TimeSpan.FromSeconds(5));
        rate.Add(TimeSpan.Zero, 0, 1000);
        rate.Add(TimeSpan.FromSeconds(1), 100, 1000);
        var (bytesPerSecond, eta) = rate.Add(TimeSpan.FromSeconds(2), 200, 1000);
        Assert.Equal(100, bytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(8), eta);

        // A stall: the old fast samples leave the window and the rate falls to nothing.
        rate.Add(TimeSpan.FromSeconds(8), 200, 1000);
        var (stalled, noEta) = rate.Add(TimeSpan.FromSeconds(14), 200, 1000);
        Assert.Equal(0, stalled);
        Assert.Null(noEta);
    }
}
