using System.Collections.Concurrent;
using System.Text.Json;
using Amazon.S3.Model;
using Checkpoints.Formats;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tensorizer.Format;
using Tensorizer.Reading;
using Tensorizer.Sources;

namespace Tensorizer.Tests;

/// <summary>
/// Safetensors on the parallel loader: one file and sharded checkpoints (five shards with an index, as Hugging Face
/// publishes them) from a path, HTTP and S3 (moto), every byte landing where it belongs, with one reader or many,
/// tensors larger than a chunk split among readers and the shards read at once.
/// </summary>
public sealed class SafetensorsLoadTests(MotoServerFixture moto) : IClassFixture<MotoServerFixture>
{
    private static readonly LoadOptions SmallChunks = new() { Readers = 4, ChunkSize = 4096 };

    /// <summary>Tensors of every size class: empty, under a chunk, several chunks, not a multiple of the element size of a chunk.</summary>
    private static List<(string Name, string Dtype, long[] Shape, byte[] Data)> Tensors()
    {
        var random = new Random(18);
        byte[] Bytes(int n)
        {
            var data = new byte[n];
            random.NextBytes(data);
            return data;
        }

        return
        [
            ("embed.weight", "F32", [40, 100], Bytes(16000)),
            ("empty", "F32", [0, 4], []),
            ("layers.0.bias", "BF16", [3], Bytes(6)),
            ("layers.0.weight", "F16", [100, 50], Bytes(10000)),
            ("layers.1.weight", "F32", [5000], Bytes(20000)),
            ("layers.1.ids", "I64", [7], Bytes(56)),
            ("lm_head.weight", "BF16", [3001], Bytes(6002)),
            ("norm.weight", "F32", [10], Bytes(40)),
        ];
    }

    /// <summary>Writes the tensors as <paramref name="shards"/> shards with an index (or one <c>model.safetensors</c>) into <paramref name="folder"/>.</summary>
    private static string Write(string folder, List<(string Name, string Dtype, long[] Shape, byte[] Data)> tensors, int shards)
    {
        if (shards == 1)
        {
            SafetensorsWriter.Write(Path.Combine(folder, SafetensorsIndex.SingleFileName), tensors);
            return SafetensorsIndex.SingleFileName;
        }

        var weightMap = new Dictionary<string, string>();
        for (var s = 0; s < shards; s++)
        {
            var name = $"model-{s + 1:00000}-of-{shards:00000}.safetensors";
            var part = tensors.Where((_, i) => i % shards == s).ToList();
            SafetensorsWriter.Write(Path.Combine(folder, name), part);
            part.ForEach(t => weightMap[t.Name] = name);
        }

        File.WriteAllText(Path.Combine(folder, SafetensorsIndex.FileName), JsonSerializer.Serialize(new { metadata = new { total_size = tensors.Sum(t => t.Data.Length) }, weight_map = weightMap }));
        return SafetensorsIndex.FileName;
    }

    private static async Task AssertLoadsAsync(string location, List<(string Name, string Dtype, long[] Shape, byte[] Data)> tensors, LoadOptions options, SourceOptions? sources = null)
    {
        await using var checkpoint = (SafetensorsCheckpoint)await TensorCheckpoints.OpenAsync(location, sources);
        Assert.Equal(tensors.Select(t => t.Name).Order(StringComparer.Ordinal), checkpoint.Tensors.Select(t => t.Name.Text).Order(StringComparer.Ordinal));
        var reports = new ConcurrentBag<LoadProgress>();
        var targets = new Dictionary<string, ArrayTarget>(StringComparer.Ordinal);
        await checkpoint.LoadAsync(checkpoint.Tensors, e => targets[e.Name.Text] = new ArrayTarget(e.DataLength), options, new SynchronousProgress(reports.Add));
        foreach (var (name, _, shape, data) in tensors)
        {
            Assert.Equal(data, targets[name].Bytes);
            Assert.Equal(shape, checkpoint.Tensors.Single(t => t.Name.Text == name).Shape);
        }

        var last = reports.MaxBy(r => (r.BytesRead, r.TensorsDone));
        Assert.Equal((tensors.Sum(t => (long)t.Data.Length), tensors.Count), (last.BytesRead, last.TensorsDone));
        Assert.Equal(tensors.Sum(t => (long)t.Data.Length), last.TotalBytes);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 4)]
    [InlineData(5, 1)]
    [InlineData(5, 4)]
    public async Task Single_and_sharded_checkpoints_load_byte_identical_from_a_path(int shards, int readers)
    {
        using var folder = new TempDirectory("safetensors-path-");
        var tensors = Tensors();
        var name = Write(folder.Path, tensors, shards);
        await AssertLoadsAsync(folder.File(name), tensors, SmallChunks with { Readers = readers });
    }

    [Fact]
    public async Task The_shards_are_read_at_once_not_one_after_the_other()
    {
        using var folder = new TempDirectory("safetensors-interleave-");
        var tensors = Tensors();
        Write(folder.Path, tensors, 5);
        await using var index = await SafetensorsCheckpoint.OpenAsync(folder.File(SafetensorsIndex.FileName));
        var reads = new ConcurrentQueue<string>();
        var recording = index.Shards.Select(s => (IRangeSource)new RecordingSource(s, reads)).ToList();
        var parsed = SafetensorsIndex.Parse(File.ReadAllBytes(folder.File(SafetensorsIndex.FileName)), "index");
        await using var checkpoint = await SafetensorsCheckpoint.OpenAsync(recording, parsed, "index");
        reads.Clear();
        await checkpoint.ReadBytesAsync(new LoadOptions { Readers = 1, ChunkSize = 1 << 20 }); // one reader: reads in queue order
        Assert.Equal(4, reads.Take(4).Distinct().Count()); // five shards, one of them starting with an empty tensor
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(5, true)]
    [InlineData(1, false)]
    [InlineData(5, false)]
    public async Task Checkpoints_load_over_http_with_ranged_reads_and_shards_beside_the_index(int shards, bool ranges)
    {
        using var folder = new TempDirectory("safetensors-http-");
        var tensors = Tensors();
        var name = Write(folder.Path, tensors, shards);
        var requested = new ConcurrentBag<string>();
        await using var server = await StubServer.StartAsync(app => app.MapGet("/models/tiny/{file}", (string file, HttpContext context) =>
        {
            requested.Add(context.Request.Headers.Range.ToString());
            var path = Path.Combine(folder.Path, file);
            return File.Exists(path) ? Results.Bytes(File.ReadAllBytes(path), "application/octet-stream", enableRangeProcessing: ranges) : Results.NotFound();
        }));
        // A server that ignores Range: every shard is one forward stream, read in order by one reader.
        await AssertLoadsAsync(new Uri(server.Address, $"/models/tiny/{name}").AbsoluteUri, tensors, SmallChunks);
        Assert.True(!ranges || requested.Any(r => r.StartsWith("bytes=", StringComparison.Ordinal) && r != "bytes=0-0"), "no ranged data reads");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public async Task Checkpoints_load_from_s3_with_ranged_gets(int shards)
    {
        using var folder = new TempDirectory("safetensors-s3-");
        var tensors = Tensors();
        var name = Write(folder.Path, tensors, shards);
        using var client = moto.CreateClient();
        var bucket = await MotoServerFixture.CreateBucketAsync(client);
        foreach (var file in Directory.GetFiles(folder.Path))
        {
            await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "hf/tiny/" + Path.GetFileName(file), FilePath = file });
        }

        await AssertLoadsAsync($"s3://{bucket}/hf/tiny/{name}", tensors, SmallChunks, new SourceOptions { S3 = moto.Settings() });
    }

    [Fact]
    public async Task A_missing_shard_on_s3_is_a_typed_error_naming_the_index_and_the_shard()
    {
        using var folder = new TempDirectory("safetensors-s3-missing-");
        Write(folder.Path, Tensors(), 5);
        using var client = moto.CreateClient();
        var bucket = await MotoServerFixture.CreateBucketAsync(client);
        foreach (var file in Directory.GetFiles(folder.Path).Where(f => !f.EndsWith("00003-of-00005.safetensors", StringComparison.Ordinal)))
        {
            await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = Path.GetFileName(file), FilePath = file });
        }

        var e = await Assert.ThrowsAnyAsync<TensorizerException>(() => TensorCheckpoints.OpenAsync($"s3://{bucket}/{SafetensorsIndex.FileName}", new SourceOptions { S3 = moto.Settings() }));
        Assert.Contains("model-00003-of-00005.safetensors", e.Message, StringComparison.Ordinal);
        Assert.Contains(SafetensorsIndex.FileName, e.Message, StringComparison.Ordinal);
    }

    private sealed class SynchronousProgress(Action<LoadProgress> report) : IProgress<LoadProgress>
    {
        public void Report(LoadProgress value) => report(value);
    }

    private sealed class RecordingSource(IRangeSource inner, ConcurrentQueue<string> reads) : IRangeSource
    {
        public string Location => inner.Location;

        public long Length => inner.Length;

        public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
        {
            reads.Enqueue(Location);
            return inner.ReadAsync(offset, destination, cancellationToken);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
