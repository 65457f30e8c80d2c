using Tensorizer.Reading;
using static TorchSharp.torch;

namespace Models.Tests.Gptj;

/// <summary>The load reports each stage on its own, so the read rate is the read's and not the tokenizer's or libtorch's.</summary>
public class LoadTimelineTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    [Theory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.Float32)]
    public async Task Every_stage_is_timed_and_the_read_counts_the_files_tensor_bytes(ScalarType dtype)
    {
        var timeline = new LoadTimeline();
        using var generator = await ModelFolder.LoadAsync(tiny.Folder, new ModelLoadOptions { Dtype = dtype, Timeline = timeline });

        var stages = timeline.Completed.Select(s => s.Stage).ToList();
        Assert.Equal([LoadStage.Runtime, LoadStage.Tokenizer, LoadStage.Construction, LoadStage.Read], stages.Order());
        Assert.DoesNotContain(LoadStage.Cast, stages); // on the CPU a cast happens while reading, not after
        await using var file = await TensorFile.OpenAsync(Path.Combine(tiny.Folder, ModelFolder.TensorsFile));
        Assert.Equal(file.Index.Sum(e => e.DataLength), timeline[LoadStage.Read]!.Value.Bytes);
        Assert.All(timeline.Completed, s => Assert.True(s.Elapsed > TimeSpan.Zero, $"{s.Stage} was not timed"));
        Assert.Null(timeline[LoadStage.WarmUp]);
    }

    [Fact]
    public void The_summary_names_each_stage_with_its_time_and_the_reads_rate()
    {
        var timeline = new LoadTimeline();
        timeline.Record(LoadStage.Tokenizer, TimeSpan.FromMilliseconds(250));
        timeline.Record(LoadStage.Read, TimeSpan.FromSeconds(0.5), 1_000_000_000);
        Assert.Equal("tokenizer 0.250 s, read 0.500 s (2.00 GB/s)", timeline.ToString());
    }
}
