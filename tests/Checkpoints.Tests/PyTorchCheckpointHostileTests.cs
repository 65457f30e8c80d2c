using System.Buffers.Binary;
using System.Text;
using Checkpoints.Formats;
using static Checkpoints.Tests.PyTorchCheckpointTests;

namespace Checkpoints.Tests;

/// <summary>Hostile or broken <c>.bin</c> files fail with a clear <see cref="InvalidDataException"/>, and no pickle code ever runs.</summary>
public sealed class PyTorchCheckpointHostileTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("checkpoints-hostile-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void A_pickle_calling_os_system_is_refused_without_running_it()
    {
        // CPython's pickle of an object whose __reduce__ returns (os.system, ('touch <marker>',)).
        var marker = Path.Combine(_root, "pwned");
        var command = Encoding.UTF8.GetBytes($"touch {marker}");
        byte[] evil = [0x80, 2, .. "cposix\nsystem\nq\x00X"u8, .. BitConverter.GetBytes(command.Length), .. command, (byte)'q', 1, 0x85, .. "q\x02Rq\x03."u8];

        // It is a real exploit: Python's own pickle.loads runs the command.
        var file = Path.Combine(_root, "evil.pkl");
        File.WriteAllBytes(file, evil);
        RunPython($"import pickle; pickle.loads(open('{file}', 'rb').read())");
        Assert.True(File.Exists(marker));
        File.Delete(marker);

        var error = Refused(new PyTorchCheckpointWriter { PickleOverride = evil });
        Assert.Contains("refusing to execute posix.system", error, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void A_pickle_made_by_CPython_with_an_os_system_reduce_is_refused()
    {
        var path = Path.Combine(_root, "evil.bin");
        RunPython(null, Path.Combine(AppContext.BaseDirectory, "Fixtures", "torch_like_save.py"), path, "evil");
        var error = Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.ReadIndex(path)).Message;
        Assert.Contains("refusing to execute posix.system", error, StringComparison.Ordinal);
        Assert.Contains("archive/data.pkl", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\u0080\u0004\u0095\u0025\0\0\0\0\0\0\0\u008c\u0005posix\u0094\u008c\u0006system\u0094\u0093\u0094\u008c\necho pwned\u0094\u0085\u0094R\u0094.", "refusing to execute posix.system")] // protocol 4, STACK_GLOBAL
    [InlineData("\u0080\u0002cbuiltins\neval\n.", "refusing to execute builtins.eval")]
    [InlineData("\u0080\u0002ctorch\nFloatStorage\n)R.", "refusing to execute a call of torch.FloatStorage")]
    [InlineData("\u0080\u0002ccollections\nOrderedDict\nX\u0001\0\0\0a\u0085R.", "refusing to execute collections.OrderedDict with arguments")]
    [InlineData("\u0080\u0002ccollections\nOrderedDict\n)\u0081.", "refusing to execute NEWOBJ")]
    [InlineData("\u0080\u0002(ccollections\nOrderedDict\no.", "refusing to execute OBJ")]
    [InlineData("\u0080\u0002(ios\nsystem\n.", "refusing to execute INST")]
    [InlineData("\u0080\u0002}}b.", "refusing to execute BUILD")]
    [InlineData("\u0080\u0002K\u0000K\u0001K\u0002s.", "refusing to execute SETITEM on an integer")]
    [InlineData("\u0080\u0002X\u0003\0\0\0abcQ.", "refusing persistent id a string")]
    [InlineData("\u0080\u0002(X\u0007\0\0\0storagecos\nsystem\n", "refusing to execute os.system")]
    [InlineData("\u0080\u0002\u0082\u0001.", "EXT")]
    [InlineData("\u0080\u0006}.", "protocol 6")]
    [InlineData("\u0080\u0002h\u0005.", "memo entry 5, which was never stored")]
    [InlineData("\u0080\u0002j\u00ff\u00ff\u00ff\u00ff.", "memo entry 4294967295")]
    [InlineData("\u0080\u0002X\u00ff\u00ff\u00ff\u00ff.", "declares a 4294967295-byte value")]
    [InlineData("\u0080\u0004\u008d\0\0\0\0\0\0\0\u0040.", "declares a 4611686018427387904-byte value")]
    [InlineData("\u0080\u0002\u008a\u0009\0\0\0\0\0\0\0\0\u0001.", "9-byte integer")]
    [InlineData("\u0080\u0002}X\u0001\0\0\0a", "ends without a STOP")]
    [InlineData("\u0080\u0002}X\u0001\0", "ends in the middle of an opcode")]
    [InlineData("\u0080\u00020.", "reads from an empty stack")]
    [InlineData("\u0080\u0002(0.", "reads from an empty stack")]
    [InlineData("\u0080\u0002u.", "pops to a MARK that is not there")]
    [InlineData("\u0080\u0002]K\u0001.", "holds an integer, not a state dict")]
    [InlineData("\u0080\u0002}]K\u0001s.", "uses a list as a dict key")]
    public void Pickles_that_would_run_code_or_are_malformed_are_refused(string pickle, string expected)
    {
        var error = Refused(new PyTorchCheckpointWriter { PickleOverride = Encoding.Latin1.GetBytes(pickle) });
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_nesting_is_bounded_and_never_recursed()
    {
        byte[] marks = [0x80, 2, .. Enumerable.Repeat((byte)'(', 100_000), (byte)'.'];
        Assert.Contains("nests deeper than 256 marks", Refused(new PyTorchCheckpointWriter { PickleOverride = marks }), StringComparison.Ordinal);

        // A million nested tuples (TUPLE1 needs no MARK), and half a million lists each appended into the one before
        // (EMPTY_LIST, DUP, APPEND): built without recursion, then refused as not a state dict.
        byte[] tuples = [0x80, 2, (byte)'N', .. Enumerable.Repeat((byte)0x85, 1_000_000), (byte)'.'];
        Assert.Contains("holds a tuple, not a state dict", Refused(new PyTorchCheckpointWriter { PickleOverride = tuples }), StringComparison.Ordinal);
        byte[] lists = [0x80, 2, (byte)']', .. Enumerable.Repeat("]2a"u8.ToArray(), 500_000).SelectMany(b => b), (byte)'.'];
        Assert.Contains("holds a list", Refused(new PyTorchCheckpointWriter { PickleOverride = lists }), StringComparison.Ordinal);

        // A list that contains itself (BINPUT then BINGET into APPEND) is no trouble either.
        byte[] cycle = [0x80, 2, (byte)']', (byte)'q', 0, (byte)'h', 0, (byte)'a', (byte)'.'];
        Assert.Contains("holds a list", Refused(new PyTorchCheckpointWriter { PickleOverride = cycle }), StringComparison.Ordinal);
    }

    [Fact]
    public void A_stack_flood_is_bounded()
    {
        byte[] flood = [0x80, 2, .. Enumerable.Repeat((byte)'N', TorchPickle.MaxStack + 1), (byte)'.'];
        Assert.Contains("more than 1000000 values", Refused(new PyTorchCheckpointWriter { PickleOverride = flood }), StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_file_is_refused()
    {
        var path = Good("truncated.bin");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        Assert.Contains("no zip end-of-central-directory record", Read(path), StringComparison.Ordinal);

        File.WriteAllBytes(path, bytes[..^5]);
        Assert.Contains("no zip end-of-central-directory record", Read(path), StringComparison.Ordinal);

        File.WriteAllBytes(path, bytes[..3]);
        Assert.Contains("not a torch.save zip archive", Read(path), StringComparison.Ordinal);
    }

    [Fact]
    public void A_central_directory_pointing_outside_the_file_is_refused()
    {
        var path = Good("central.bin");
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 6), 0x7fff_0000); // the end record's central directory offset
        File.WriteAllBytes(path, bytes);
        Assert.Contains("does not fit the file", Read(path), StringComparison.Ordinal);
    }

    [Fact]
    public void A_local_header_that_disagrees_with_the_central_directory_is_refused()
    {
        var path = Good("local.bin");
        var bytes = File.ReadAllBytes(path);
        var at = bytes.AsSpan().IndexOf("archive/data/0"u8);
        bytes[at + "archive/data/".Length] = (byte)'9'; // the local header's name; the central directory still says data/0
        File.WriteAllBytes(path, bytes);
        Assert.Contains("names a different file than the central directory's 'archive/data/0'", Read(path), StringComparison.Ordinal);
    }

    [Fact]
    public void A_compressed_storage_is_refused_but_a_compressed_pickle_is_read()
    {
        var compressed = Refused(new PyTorchCheckpointWriter { DeflatedRecords = new HashSet<string> { "data/0" } }.Add("w", "float32", [2], Floats(1f, 2f)));
        Assert.Contains("tensor 'w' uses storage archive/data/0, which is compressed (method 8)", compressed, StringComparison.Ordinal);

        var path = Path.Combine(_root, "deflated-pickle.bin");
        new PyTorchCheckpointWriter { DeflatedRecords = new HashSet<string> { "data.pkl", "byteorder" } }.Add("w", "float32", [2], Floats(1f, 2f)).Write(path);
        Assert.Equal(Floats(1f, 2f), TensorBytes.Read(Assert.Single(PyTorchCheckpoint.ReadIndex(path))));
    }

    [Fact]
    public void Non_contiguous_strides_are_refused()
    {
        var storage = PyTorchCheckpointWriter.NewStorage("float32", Floats(1f, 2f, 3f, 4f));
        var error = Refused(new PyTorchCheckpointWriter().Add("transposed", storage, [2, 2], stride: [1, 2]));
        Assert.Contains("tensor 'transposed' is not contiguous (size [2, 2], stride [1, 2])", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_storage_is_refused()
    {
        var (pickle, _) = new PyTorchCheckpointWriter().Add("w", "float32", [2], Floats(1f, 2f)).Pickle();
        var path = Path.Combine(_root, "missing.bin");
        using (var zip = new TorchZipWriter(File.Create(path), "archive"))
        {
            zip.WriteRecord("data.pkl", pickle);
            zip.WriteRecord("version", "3\n"u8.ToArray());
            zip.Finish();
        }

        Assert.Contains("tensor 'w' uses storage '0', but the archive has no archive/data/0", Read(path), StringComparison.Ordinal);
    }

    [Fact]
    public void Views_beyond_their_storage_are_refused()
    {
        var storage = PyTorchCheckpointWriter.NewStorage("float32", Floats(1f, 2f, 3f, 4f));
        var error = Refused(new PyTorchCheckpointWriter().Add("w", storage, [2], storageOffset: 3));
        Assert.Contains("tensor 'w' spans bytes 12 to 20 of storage '0', which holds only 16 bytes", error, StringComparison.Ordinal);

        var negative = Refused(new PyTorchCheckpointWriter().Add("w", storage, [2], storageOffset: -1));
        Assert.Contains("storage offset -1, which are not valid", negative, StringComparison.Ordinal);

        var overflow = Refused(new PyTorchCheckpointWriter().Add("w", storage, [1L << 40, 1L << 40]));
        Assert.Contains("which overflow", overflow, StringComparison.Ordinal);
    }

    [Fact]
    public void A_storage_whose_size_disagrees_with_its_entry_is_refused()
    {
        // The persistent id says 4 floats; the entry holds 3.
        var (pickle, _) = new PyTorchCheckpointWriter().Add("w", "float32", [4], Floats(1f, 2f, 3f, 4f)).Pickle();
        var path = Path.Combine(_root, "short.bin");
        using (var zip = new TorchZipWriter(File.Create(path), "archive"))
        {
            zip.WriteRecord("data.pkl", pickle);
            zip.WriteRecord("data/0", Floats(1f, 2f, 3f));
            zip.Finish();
        }

        Assert.Contains("uses storage '0' as 4 torch.FloatStorage elements, but archive/data/0 holds 12 bytes", Read(path), StringComparison.Ordinal);
    }

    [Fact]
    public void Values_that_are_not_tensors_are_refused()
    {
        var error = Refused(new PyTorchCheckpointWriter().Add("w", "float32", [1], Floats(1f)).AddRaw("step", 5L));
        Assert.Contains("the state dict maps 'step' to an integer; only tensors under string names are supported", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Big_endian_legacy_and_TorchScript_files_are_refused()
    {
        Assert.Contains("big-endian checkpoints are not supported", Refused(new PyTorchCheckpointWriter { ByteOrder = "big" }), StringComparison.Ordinal);
        Assert.Contains("holds 'middle'", Refused(new PyTorchCheckpointWriter { ByteOrder = "middle" }), StringComparison.Ordinal);

        var legacy = Path.Combine(_root, "legacy.bin");
        File.WriteAllBytes(legacy, [0x80, 2, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, (byte)'.']);
        Assert.Contains("legacy (PyTorch before 1.6, not zip)", Read(legacy), StringComparison.Ordinal);

        var script = Path.Combine(_root, "script.pt");
        using (var zip = new TorchZipWriter(File.Create(script), "model"))
        {
            zip.WriteRecord("data.pkl", [0x80, 2, (byte)'}', (byte)'.']);
            zip.WriteRecord("constants.pkl", [0x80, 2, (byte)')', (byte)'.']);
            zip.Finish();
        }

        Assert.Contains("is a TorchScript archive", Read(script), StringComparison.Ordinal);
    }

    private string Good(string name)
    {
        var path = Path.Combine(_root, name);
        new PyTorchCheckpointWriter().Add("w", "float32", [2], Floats(1f, 2f)).Write(path);
        return path;
    }

    private string Refused(PyTorchCheckpointWriter writer)
    {
        var path = Path.Combine(_root, $"{Guid.NewGuid():N}.bin");
        writer.Write(path);
        return Read(path);
    }

    private static string Read(string path)
    {
        var error = Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.ReadIndex(path)).Message;
        Assert.Contains(path, error, StringComparison.Ordinal);
        return error;
    }
}
