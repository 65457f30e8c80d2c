using Tensorizer.Format;
using Tensorizer.Reading;
using Tensorizer.Sources;
using Tensorizer.Writing;

namespace Tensorizer.Tests;

/// <summary>Writer → reader round trips, and the writer's byte layout against the independent builder.</summary>
public class WriterTests
{
    public static TheoryData<TensorElementType> AllTypes() => [.. Enum.GetValues<TensorElementType>()];

    [Theory]
    [MemberData(nameof(AllTypes))]
    public async Task Round_trips_every_dtype_and_shape(TensorElementType type)
    {
        var size = TensorDtype.SizeOf(type);
        long[][] shapes = [[], [0], [3, 0, 2], [7], [2, 3, 5], [1, 1, 1, 1, 4]];
        var tensors = shapes.Select((shape, i) =>
        {
            var count = shape.Aggregate(1L, (a, b) => a * b);
            return TensorToWrite.StateDict($"t{i}", type, shape, TestFiles.Bytes((int)count * size, seed: i));
        }).ToList();

        var file = await WriteAsync(tensors);
        await using var reader = await TestFiles.OpenAsync(file);
        var expectedVersion = TensorDtype.For(type).IsOpaque ? 2 : 1;
        Assert.Equal(expectedVersion, reader.Header.Version);
        var data = await reader.ReadBytesAsync(options: new LoadOptions { VerifyHashes = true });
        foreach (var tensor in tensors)
        {
            var entry = reader.Index[tensor.Name.Text];
            Assert.Equal(tensor.Shape, entry.Shape);
            Assert.Equal(type, entry.Dtype.ElementType);
            Assert.Equal(tensor.Data![0].ToArray(), data[tensor.Name.Text]);
        }
    }

    [Fact]
    public async Task Writes_the_same_bytes_as_the_format_description()
    {
        var w = TestFiles.Bytes(24);
        var b = TestFiles.Bytes(6, seed: 2);
        byte[] expected =
        [
            .. new RawFileBuilder()
                .Add("fc.weight", "<f2", [4, 3], w, kind: 0)
                .Add("fc.bias", "<f2", [3], b, kind: 1)
                .Build(),
            .. new byte[8], // the zero header size every tensorizer writer ends with
        ];

        var ours = await WriteAsync(
        [
            new TensorToWrite(TensorName.Plain("fc.weight"), TensorKind.Parameter, TensorDtype.For(TensorElementType.Float16), [4, 3], [w]),
            new TensorToWrite(TensorName.Plain("fc.bias"), TensorKind.Buffer, TensorDtype.For(TensorElementType.Float16), [3], [b]),
        ]);

        Assert.Equal(expected, ours);
    }

    [Fact]
    public async Task A_meta_tensor_makes_a_version_4_file_that_loads_as_zeros()
    {
        var file = await WriteAsync([TensorToWrite.Meta("m", TensorKind.Buffer, TensorElementType.Float32, [2, 2])]);
        await using var reader = await TestFiles.OpenAsync(file);
        Assert.Equal(4, reader.Header.Version);
        Assert.True(reader.Index["m"].IsMeta);
        Assert.Equal(0UL, reader.Header.FeatureFlags);
    }

    [Fact]
    public async Task A_tensor_in_several_segments_larger_than_a_chunk_round_trips()
    {
        var whole = TestFiles.Bytes(3 << 20);
        var segments = new[] { whole.AsMemory(0, 1 << 20), whole.AsMemory(1 << 20) }.Select(m => (ReadOnlyMemory<byte>)m).ToList();
        var file = await WriteAsync([new TensorToWrite(TensorName.Plain("big"), TensorKind.Parameter, TensorDtype.For(TensorElementType.Float32), [3 << 18], segments)]);

        var data = await TestFiles.ReadAllAsync(file, new LoadOptions { ChunkSize = 65536, Readers = 3, VerifyHashes = true });
        Assert.Equal(whole, data["big"]);
    }

    [Fact]
    public async Task Deferred_tensors_are_produced_in_file_order_at_most_one_ahead_of_the_writer()
    {
        var producedAt = new System.Collections.Concurrent.ConcurrentQueue<(int Index, long StreamLength)>();
        using var stream = new MemoryStream();
        var tensors = Enumerable.Range(0, 4).Select(i => TensorToWrite.Deferred($"t{i}", TensorElementType.UInt8, [4096], () =>
        {
            producedAt.Enqueue((i, stream.Length)); // how far the writer is
            return [TestFiles.Bytes(4096, seed: i)];
        })).ToList();

        await TensorWriter.WriteAsync(stream, tensors);

        // In order, and tensor k is asked for only once tensor k-2 is fully written (the writer holds two at most).
        Assert.Equal([0, 1, 2, 3], producedAt.Select(p => p.Index));
        await using var file = await TensorFile.OpenAsync(new MemoryRangeSource(stream.ToArray()));
        foreach (var (index, length) in producedAt.Where(p => p.Index >= 2))
        {
            Assert.True(length >= file.Index[index - 2].DataEnd, $"t{index} was produced at {length}, before t{index - 2} ended at {file.Index[index - 2].DataEnd}");
        }

        var data = await TestFiles.ReadAllAsync(stream.ToArray(), new LoadOptions { VerifyHashes = true });
        Assert.Equal(TestFiles.Bytes(4096, seed: 3), data["t3"]);
    }

    [Fact]
    public async Task A_deferred_tensor_of_the_wrong_size_fails_the_write_and_leaves_no_file()
    {
        var dir = Directory.CreateTempSubdirectory("tensorizer-deferred-");
        try
        {
            var path = Path.Combine(dir.FullName, "model.tensors");
            var e = await Assert.ThrowsAsync<ArgumentException>(() => TensorWriter.WriteFileAsync(path,
                [TensorToWrite.Deferred("a", TensorElementType.Float32, [2], () => [new byte[7]])]));
            Assert.Contains("7 data bytes supplied", e.Message, StringComparison.Ordinal);
            Assert.Empty(dir.GetFiles());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Structured_names_round_trip()
    {
        var file = await WriteAsync([new TensorToWrite(TensorName.Structured("model", 0, "w"), TensorKind.StateDict, TensorDtype.For(TensorElementType.Int8), [1], [new byte[] { 9 }])]);
        await using var reader = await TestFiles.OpenAsync(file);
        Assert.Equal("model.0.w", reader.Index[0].Name.Text);
        Assert.Equal(["model", 0L, "w"], reader.Index[0].Name.Path!);
    }

    [Fact]
    public async Task Bad_input_is_refused_before_anything_is_written()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => WriteAsync([]));
        await Assert.ThrowsAsync<ArgumentException>(() => WriteAsync([TensorToWrite.StateDict("a", TensorElementType.Float32, [2], new byte[7])]));
        await Assert.ThrowsAsync<ArgumentException>(() => WriteAsync(
        [
            TensorToWrite.StateDict("a", TensorElementType.UInt8, [1], new byte[1]),
            TensorToWrite.StateDict("a", TensorElementType.UInt8, [1], new byte[1]),
        ]));
    }

    [Fact]
    public async Task Writing_a_file_goes_through_a_temporary_name_and_leaves_nothing_on_failure()
    {
        var dir = Directory.CreateTempSubdirectory("tensorizer-writer-");
        try
        {
            var path = Path.Combine(dir.FullName, "model.tensors");
            await TensorWriter.WriteFileAsync(path, [TensorToWrite.StateDict("a", TensorElementType.UInt8, [2], new byte[] { 1, 2 })]);
            Assert.Equal(["model.tensors"], dir.GetFiles().Select(f => f.Name));

            await Assert.ThrowsAsync<ArgumentException>(() =>
                TensorWriter.WriteFileAsync(path, [TensorToWrite.StateDict("a", TensorElementType.UInt8, [2], new byte[1])]));
            using var cancelled = new CancellationTokenSource();
            await cancelled.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                TensorWriter.WriteFileAsync(path, [TensorToWrite.StateDict("b", TensorElementType.UInt8, [2], new byte[2])], cancelled.Token));

            Assert.Equal(["model.tensors"], dir.GetFiles().Select(f => f.Name));
            Assert.Equal([1, 2], (await ReadFileAsync(path))["a"]);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task<IReadOnlyDictionary<string, byte[]>> ReadFileAsync(string path)
    {
        await using var file = await TensorFile.OpenAsync(path);
        return await file.ReadBytesAsync();
    }

    private static async Task<byte[]> WriteAsync(IReadOnlyList<TensorToWrite> tensors)
    {
        using var stream = new MemoryStream();
        await TensorWriter.WriteAsync(stream, tensors);
        return stream.ToArray();
    }
}
