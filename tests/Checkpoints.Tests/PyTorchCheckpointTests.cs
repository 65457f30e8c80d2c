using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using Checkpoints.Conversion;
using Checkpoints.Formats;
using Models;
using Models.Generation;
using Models.TinyModel;
using Tensorizer.Format;
using Tensorizer.Reading;

namespace Checkpoints.Tests;

/// <summary>PyTorch <c>.bin</c> checkpoints (torch.save's zip of a pickle and raw storages) are indexed in place and convert.</summary>
public sealed class PyTorchCheckpointTests : IDisposable
{
    private readonly TempDirectory _root = new("checkpoints-pytorch-");

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Fp32_fp16_bf16_int64_and_newer_dtypes_round_trip()
    {
        var tensors = new (string Name, string Dtype, TensorElementType Type, long[] Shape, int ElementSize)[]
        {
            ("transformer.wte.weight", "float32", TensorElementType.Float32, [5, 3], 4),
            ("transformer.h.0.attn.q_proj.weight", "float16", TensorElementType.Float16, [4, 4], 2),
            ("transformer.h.0.ln_1.bias", "bfloat16", TensorElementType.BFloat16, [7], 2),
            ("position_ids", "int64", TensorElementType.Int64, [1, 6], 8),
            ("scalar", "float64", TensorElementType.Float64, [], 8),
            ("empty", "float32", TensorElementType.Float32, [0, 3], 4),
            ("mask", "bool", TensorElementType.Bool, [3], 1),
            ("bytes", "uint8", TensorElementType.UInt8, [260], 1),
            ("shorts", "uint16", TensorElementType.UInt16, [3], 2),
            ("fp8", "float8_e4m3fn", TensorElementType.Float8E4M3FN, [2, 2], 1),
        };
        var random = new Random(7);
        var writer = new PyTorchCheckpointWriter();
        var data = new Dictionary<string, byte[]>();
        foreach (var (name, dtype, _, shape, size) in tensors)
        {
            data[name] = new byte[shape.Aggregate(1L, (a, b) => a * b) * size];
            random.NextBytes(data[name]);
            writer.Add(name, dtype, shape, data[name]);
        }

        var path = _root.File("pytorch_model.bin");
        writer.Write(path);
        var index = PyTorchCheckpoint.ReadIndex(path);

        Assert.Equal(tensors.Select(t => t.Name), index.Select(t => t.Name));
        foreach (var ((name, _, type, shape, _), entry) in tensors.Zip(index))
        {
            Assert.Equal(type, entry.Type);
            Assert.Equal(shape, entry.Shape);
            Assert.Equal(path, entry.File);
            Assert.Equal(data[name], TensorBytes.Read(entry));
            Assert.True(entry.Offset % 64 == 0, $"{name}: torch aligns storage data to 64 bytes; {entry.Offset} is not");
        }

        // Python's zipfile reads the archive back, CRCs checked, and the storages are where the index says.
        var check = RunPython($"import zipfile; z = zipfile.ZipFile('{path}'); assert z.testzip() is None; print(sorted(z.namelist()))");
        Assert.Contains("'archive/data.pkl'", check, StringComparison.Ordinal);
        Assert.Contains("'archive/data/9'", check, StringComparison.Ordinal);
    }

    [Fact]
    public void Views_of_one_storage_and_tied_weights_resolve_to_their_own_bytes()
    {
        var values = Enumerable.Range(0, 12).Select(i => (float)i).ToArray();
        var storage = PyTorchCheckpointWriter.NewStorage("float32", Floats(values));
        var path = _root.File("views.bin");
        new PyTorchCheckpointWriter()
            .Add("whole", storage, [3, 4])
            .Add("row", storage, [4], storageOffset: 4)
            .Add("corner", storage, [2, 2], storageOffset: 8)
            .Add("column_vector", storage, [3, 1], storageOffset: 9, stride: [1, 7]) // a size-1 dimension's stride does not matter
            .Tie("lm_head.weight", "whole")
            .Write(path);

        var index = PyTorchCheckpoint.ReadIndex(path).ToDictionary(t => t.Name);
        Assert.Equal(values, ToFloats(index["whole"]));
        Assert.Equal(values[4..8], ToFloats(index["row"]));
        Assert.Equal(values[8..12], ToFloats(index["corner"]));
        Assert.Equal(values[9..12], ToFloats(index["column_vector"]));
        Assert.Equal(index["whole"] with { Name = "lm_head.weight" }, index["lm_head.weight"]);
        Assert.Equal(index["whole"].Offset + (4 * 4), index["row"].Offset);
    }

    [Fact]
    public void Parameters_are_read_as_their_data()
    {
        var path = _root.File("parameters.bin");
        var bytes = Floats(1.5f, -2.5f, 3.25f);
        new PyTorchCheckpointWriter().Add("weight", "float32", [3], bytes, parameter: true).Add("buffer", "int64", [1], BitConverter.GetBytes(42L)).Write(path);

        var index = PyTorchCheckpoint.ReadIndex(path);
        Assert.Equal(["weight", "buffer"], index.Select(t => t.Name));
        Assert.Equal(bytes, TensorBytes.Read(index[0]));
        Assert.Equal(42L, BitConverter.ToInt64(TensorBytes.Read(index[1])));
    }

    [Fact]
    public void The_pickle_is_byte_for_byte_what_CPythons_pickler_writes_for_torch()
    {
        // The same state dict as the python fixture (its storages, views, a Parameter and a tied tensor), written by our writer.
        var shared = PyTorchCheckpointWriter.NewStorage("float32", Floats([.. Enumerable.Range(0, 12).Select(i => (float)i)]));
        var writer = new PyTorchCheckpointWriter()
            .Add("shared.whole", shared, [3, 4])
            .Add("shared.row", shared, [4], storageOffset: 4)
            .Add("half", "float16", [2, 2], Halves(0.5f, -1.25f, 2f, 65504f), parameter: true)
            .Add("longs", "int64", [3], [.. BitConverter.GetBytes(-(1L << 40)), .. BitConverter.GetBytes(7L), .. BitConverter.GetBytes(1L << 62)])
            .Add("brain", "bfloat16", [3], BFloats(1f, -2f, 0.15625f))
            .Add("shorts", "uint16", [2], [.. BitConverter.GetBytes((ushort)1), .. BitConverter.GetBytes((ushort)65535)])
            .Tie("shared.again", "shared.whole");
        var python = PythonFixture("2");
        using var zip = ZipFile.OpenRead(python);
        using var pickle = new MemoryStream();
        zip.GetEntry("archive/data.pkl")!.Open().CopyTo(pickle);

        Assert.Equal(pickle.ToArray(), writer.Pickle().Pickle);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("4")]
    [InlineData("5")]
    public void Checkpoints_pickled_by_CPython_read_at_every_protocol(string protocol)
    {
        var path = PythonFixture(protocol);
        var index = PyTorchCheckpoint.ReadIndex(path).ToDictionary(t => t.Name);

        Assert.Equal(["shared.whole", "shared.row", "half", "longs", "brain", "shorts", "shared.again"], index.Keys);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (float)i), ToFloats(index["shared.whole"]));
        Assert.Equal([4f, 5f, 6f, 7f], ToFloats(index["shared.row"]));
        Assert.Equal(index["shared.whole"].Offset, index["shared.again"].Offset);
        Assert.Equal(TensorElementType.Float16, index["half"].Type);
        Assert.Equal([2, 2], index["half"].Shape);
        Assert.Equal(Halves(0.5f, -1.25f, 2f, 65504f), TensorBytes.Read(index["half"]));
        Assert.Equal(
            [-(1L << 40), 7L, 1L << 62],
            TensorBytes.Read(index["longs"]).Chunk(8).Select(b => BitConverter.ToInt64(b)));
        Assert.Equal(TensorElementType.BFloat16, index["brain"].Type);
        Assert.Equal(BFloats(1f, -2f, 0.15625f), TensorBytes.Read(index["brain"]));
        Assert.Equal(TensorElementType.UInt16, index["shorts"].Type);
        Assert.Equal([1, 0, 255, 255], TensorBytes.Read(index["shorts"]));
    }

    [Fact]
    public void Zip64_records_are_read()
    {
        var path = _root.File("zip64.bin");
        var bytes = Floats(1f, 2f, 3f, 4f);
        new PyTorchCheckpointWriter { ForceZip64 = true }.Add("a", "float32", [2, 2], bytes).Add("b", "int64", [1], BitConverter.GetBytes(-1L)).Write(path);

        var index = PyTorchCheckpoint.ReadIndex(path);
        Assert.Equal(bytes, TensorBytes.Read(index[0]));
        Assert.Equal(-1L, BitConverter.ToInt64(TensorBytes.Read(index[1])));
        Assert.Contains("'archive/data/1'", RunPython($"import zipfile; z = zipfile.ZipFile('{path}'); assert z.testzip() is None; print(z.namelist())"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_storage_past_4_GiB_is_found_through_ZIP64_offsets()
    {
        // A sparse file: a 4 GiB + 1 KiB storage that is a hole, then a small one whose local header lies past 4 GiB.
        var path = _root.File("big.bin");
        const long hole = (4L << 30) + 1024;
        var small = Floats(0.25f, 0.5f);
        var writer = new PyTorchCheckpointWriter()
            .Add("huge", PyTorchCheckpointWriter.NewStorage("uint8", []), [hole])
            .Add("after", "float32", [2], small);
        var (pickle, _) = writer.Pickle();
        var patched = PatchNumel(pickle, hole);
        using (var zip = new TorchZipWriter(File.Create(path), "archive"))
        {
            zip.WriteRecord("data.pkl", patched);
            zip.WriteRecord("byteorder", "little"u8.ToArray());
            zip.WriteRecord("data/0", [], sparseLength: hole);
            zip.WriteRecord("data/1", small);
            zip.WriteRecord("version", "3\n"u8.ToArray());
            zip.Finish();
        }

        var index = PyTorchCheckpoint.ReadIndex(path).ToDictionary(t => t.Name);
        Assert.Equal(hole, index["huge"].Length);
        Assert.True(index["after"].Offset > uint.MaxValue);
        Assert.Equal(0, index["after"].Offset % 64);
        Assert.Equal(small, TensorBytes.Read(index["after"]));
    }

    [Fact]
    public async Task Shards_listed_by_pytorch_model_bin_index_json_are_read_as_one_checkpoint()
    {
        var folder = _root.File("sharded");
        Directory.CreateDirectory(folder);
        new PyTorchCheckpointWriter { OrderedDictWithMetadata = false }
            .Add("a", "float32", [2], Floats(1f, 2f)).Add("b", "float16", [1], Halves(3f))
            .Write(Path.Combine(folder, "pytorch_model-00001-of-00002.bin"));
        new PyTorchCheckpointWriter { OrderedDictWithMetadata = false, ArchiveName = "pytorch_model-00002-of-00002" }
            .Add("c", "bfloat16", [1], BFloats(4f))
            .Write(Path.Combine(folder, "pytorch_model-00002-of-00002.bin"));
        var weightMap = new Dictionary<string, string>
        {
            ["a"] = "pytorch_model-00001-of-00002.bin",
            ["b"] = "pytorch_model-00001-of-00002.bin",
            ["c"] = "pytorch_model-00002-of-00002.bin",
        };
        await File.WriteAllTextAsync(Path.Combine(folder, "pytorch_model.bin.index.json"), JsonSerializer.Serialize(new { metadata = new { total_size = 12 }, weight_map = weightMap }));

        var tensors = await CheckpointFolder.ReadTensorsAsync(folder);
        Assert.Equal(["a", "b", "c"], tensors.Select(t => t.Name));
        Assert.Equal(BFloats(4f), TensorBytes.Read(tensors[2]));
        Assert.EndsWith("pytorch_model-00002-of-00002.bin", tensors[2].File, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_tiny_GPTJ_as_a_pytorch_checkpoint_converts_to_a_folder_that_generates_like_the_original()
    {
        var tiny = _root.File("tiny");
        var checkpoint = _root.File("checkpoint");
        await TinyGptj.WriteAsync(tiny);
        await TinyPyTorchCheckpoint.WriteAsync(tiny, checkpoint, weightsAsParameters: true); // a Parameter for good measure

        var output = _root.File("out");
        var result = await ModelConverter.ConvertAsync(new ConversionRequest { Source = checkpoint, Output = output, Dtype = "float16" });
        Assert.False(result.Skipped);
        await using (var file = await TensorFile.OpenAsync(Path.Combine(output, ModelFolder.TensorsFile)))
        {
            Assert.All(file.Index, e => Assert.Equal("<f2", e.Dtype.Text));
            Assert.Empty(await file.VerifyAsync());
        }

        var greedy = new GenerationOptions { MaxNewTokens = 8, StopAtEndOfText = false };
        using var original = await ModelFolder.LoadAsync(tiny);
        using var converted = await ModelFolder.LoadAsync(output);
        Assert.Equal(original.Generate(["Once upon a time"], greedy)[0].Tokens, converted.Generate(["Once upon a time"], greedy)[0].Tokens);
    }

    internal static byte[] Floats(params float[] values) => [.. values.SelectMany(BitConverter.GetBytes)];

    internal static byte[] Halves(params float[] values) => [.. values.SelectMany(v => BitConverter.GetBytes((Half)v))];

    internal static byte[] BFloats(params float[] values) => [.. values.SelectMany(v => BitConverter.GetBytes(v)[2..])];

    private static float[] ToFloats(CheckpointTensor tensor) =>
        [.. TensorBytes.Read(tensor).Chunk(4).Select(b => BitConverter.ToSingle(b))];

    /// <summary>Replaces the (empty) first storage's numel, a BININT1 0 right before the persistent id's TUPLE, with a LONG1.</summary>
    private static byte[] PatchNumel(byte[] pickle, long numel)
    {
        var cpu = "cpu"u8.ToArray();
        var at = pickle.AsSpan().IndexOf(cpu) + cpu.Length + 2; // past 'cpu' and its BINPUT
        Assert.Equal([(byte)'K', 0, (byte)'t'], pickle[at..(at + 3)]);
        return [.. pickle[..at], 0x8a, 5, .. BitConverter.GetBytes(numel)[..5], .. pickle[(at + 2)..]];
    }

    private string PythonFixture(string mode)
    {
        var path = _root.File($"python-{mode}.bin");
        RunPython(null, Path.Combine(AppContext.BaseDirectory, "Fixtures", "torch_like_save.py"), path, mode);
        return path;
    }

    /// <summary>Runs python3 (CI has it, for moto): missing is a failure, never a skip.</summary>
    internal static string RunPython(string? code, params string[] arguments)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (code is not null)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(code);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"python3 failed: {error}");
        return output.Result;
    }
}
