using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace Checkpoints.Tests;

/// <summary>
/// Writes <c>pytorch_model.bin</c> files as <c>torch.save(state_dict, path)</c> does (PyTorch 2.x, zip serialization):
/// <list type="bullet">
/// <item><c>data.pkl</c>: a protocol-2 pickle, byte for byte what CPython's pickler emits for torch's reductions: an
/// OrderedDict (<c>collections.OrderedDict</c> REDUCE, SETITEMS in batches of 1000, then BUILD of its <c>_metadata</c>),
/// each tensor a REDUCE of <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())</c>
/// (<c>_rebuild_tensor_v3</c> with an untyped storage and a dtype global for uint16/32/64 and float8), each storage a
/// BINPERSID of <c>('storage', torch.&lt;X&gt;Storage, key, 'cpu', numel)</c>, with CPython's memo (BINPUT/BINGET by identity).</item>
/// <item>the zip as <c>PyTorchStreamWriter</c> (miniz) lays it out: <c>data.pkl</c>, <c>byteorder</c>, <c>data/&lt;key&gt;</c> in
/// sorted key order, <c>version</c>, <c>.data/serialization_id</c>; stored entries whose data starts on a 64-byte
/// boundary thanks to an <c>FB</c> extra field padded with <c>Z</c>; local headers with zero sizes and flags 0x0808
/// followed by data descriptors; ZIP64 extra fields and end records when offsets or sizes pass 4 GiB.</item>
/// </list>
/// Options bend it for hostile tests (deflated records, forced ZIP64, another byte order, a replaced pickle).
/// </summary>
internal sealed class PyTorchCheckpointWriter
{
    private static readonly Dictionary<string, (string? StorageClass, int ElementSize)> Dtypes = new()
    {
        ["float32"] = ("FloatStorage", 4),
        ["float64"] = ("DoubleStorage", 8),
        ["float16"] = ("HalfStorage", 2),
        ["bfloat16"] = ("BFloat16Storage", 2),
        ["int64"] = ("LongStorage", 8),
        ["int32"] = ("IntStorage", 4),
        ["int16"] = ("ShortStorage", 2),
        ["int8"] = ("CharStorage", 1),
        ["uint8"] = ("ByteStorage", 1),
        ["bool"] = ("BoolStorage", 1),
        ["uint16"] = (null, 2),
        ["uint32"] = (null, 4),
        ["uint64"] = (null, 8),
        ["float8_e4m3fn"] = (null, 1),
        ["float8_e5m2"] = (null, 1),
    };

    private readonly List<(object Key, object Value)> _entries = [];

    public string ArchiveName { get; init; } = "archive";

    /// <summary>A module's <c>state_dict()</c> (OrderedDict with <c>_metadata</c>); false for a plain dict, as transformers' shards are.</summary>
    public bool OrderedDictWithMetadata { get; init; } = true;

    public string? ByteOrder { get; init; } = "little";

    public bool ForceZip64 { get; init; }

    /// <summary>Record names (relative to the archive folder) to deflate instead of store.</summary>
    public IReadOnlySet<string> DeflatedRecords { get; init; } = new HashSet<string>();

    /// <summary>Replaces <c>data.pkl</c>.</summary>
    public byte[]? PickleOverride { get; init; }

    /// <summary>A storage of <paramref name="dtype"/> elements holding <paramref name="bytes"/> (little-endian).</summary>
    public static Storage NewStorage(string dtype, byte[] bytes)
    {
        var size = Dtypes[dtype].ElementSize;
        return bytes.Length % size == 0 ? new Storage(dtype, bytes) : throw new ArgumentException("bytes are not whole elements", nameof(bytes));
    }

    /// <summary>A tensor viewing <paramref name="storage"/>; contiguous strides unless given.</summary>
    public PyTorchCheckpointWriter Add(string name, Storage storage, long[] shape, long storageOffset = 0, long[]? stride = null, bool parameter = false)
    {
        _entries.Add((name, new Tensor(storage, storageOffset, shape, stride ?? ContiguousStride(shape), parameter)));
        return this;
    }

    /// <summary>A tensor with a storage of its own.</summary>
    public PyTorchCheckpointWriter Add(string name, string dtype, long[] shape, byte[] bytes, bool parameter = false) =>
        Add(name, NewStorage(dtype, bytes), shape, parameter: parameter);

    /// <summary>The tensor already under <paramref name="existing"/>, again: one object twice, which the pickle memo writes as a BINGET.</summary>
    public PyTorchCheckpointWriter Tie(string name, string existing)
    {
        _entries.Add((name, _entries.First(e => Equals(e.Key, existing)).Value));
        return this;
    }

    /// <summary>Any other value under a key, for hostile tests: a Python int, string, tuple of those...</summary>
    public PyTorchCheckpointWriter AddRaw(object key, object value)
    {
        _entries.Add((key, value));
        return this;
    }

    public static long[] ContiguousStride(long[] shape)
    {
        var stride = new long[shape.Length];
        var step = 1L;
        for (var i = shape.Length - 1; i >= 0; i--)
        {
            stride[i] = step;
            step *= shape[i];
        }

        return stride;
    }

    public (byte[] Pickle, IReadOnlyList<Storage> Storages) Pickle()
    {
        using var pickler = new Pickler();
        pickler.Dump(StateDict());
        return (pickler.ToArray(), pickler.Storages);
    }

    public void Write(string path)
    {
        var (pickle, storages) = Pickle();
        using var zip = new TorchZipWriter(File.Create(path), ArchiveName, ForceZip64, DeflatedRecords);
        zip.WriteRecord("data.pkl", PickleOverride ?? pickle);
        if (ByteOrder is not null)
        {
            zip.WriteRecord("byteorder", Encoding.ASCII.GetBytes(ByteOrder));
        }

        foreach (var storage in storages.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            zip.WriteRecord($"data/{storage.Key}", storage.Bytes);
        }

        zip.WriteRecord("version", "3\n"u8.ToArray());
        zip.WriteRecord(".data/serialization_id", Encoding.ASCII.GetBytes("1234567890123456789012345678901234567890"));
        zip.Finish();
    }

    private object StateDict()
    {
        if (!OrderedDictWithMetadata)
        {
            return new PyDict(_entries);
        }

        // nn.Module.state_dict() records {'version': 1} for every module prefix, the root ('') first.
        var version = "version";
        var prefixes = new List<string> { "" };
        foreach (var name in _entries.Select(e => e.Key).OfType<string>())
        {
            for (var dot = name.IndexOf('.', StringComparison.Ordinal); dot > 0; dot = name.IndexOf('.', dot + 1))
            {
                if (!prefixes.Contains(name[..dot]))
                {
                    prefixes.Add(name[..dot]);
                }
            }
        }

        var metadata = new PyReduce(PyGlobal.OrderedDict, new PyTuple(), null,
            [.. prefixes.Select(p => ((object)p, (object)new PyDict([(version, 1L)])))]);
        return new PyReduce(PyGlobal.OrderedDict, new PyTuple(), new PyDict([("_metadata", metadata)]), _entries);
    }

    /// <summary>A storage; torch names it by a key (its order of first appearance in the pickle) when it is saved.</summary>
    internal sealed class Storage(string dtype, byte[] bytes)
    {
        public string Dtype { get; } = dtype;

        public byte[] Bytes { get; } = bytes;

        public string? Key { get; set; }
    }

    private sealed record Tensor(Storage Storage, long Offset, long[] Shape, long[] Stride, bool Parameter);

    /// <summary>A Python tuple (identity matters for the memo: every instance is a distinct object).</summary>
    internal sealed class PyTuple(params object[] items)
    {
        public object[] Items { get; } = items;
    }

    internal sealed class PyDict(IReadOnlyList<(object Key, object Value)> items)
    {
        public IReadOnlyList<(object Key, object Value)> Items { get; } = items;
    }

    /// <summary>A global (module attribute); one instance per name, as Python has one object.</summary>
    internal sealed class PyGlobal
    {
        private static readonly Dictionary<string, PyGlobal> Instances = [];

        private PyGlobal(string module, string name) => (Module, Name) = (module, name);

        public static PyGlobal OrderedDict => Get("collections", "OrderedDict");

        public string Module { get; }

        public string Name { get; }

        public static PyGlobal Get(string module, string name)
        {
            lock (Instances)
            {
                var key = $"{module}\n{name}";
                return Instances.TryGetValue(key, out var global) ? global : Instances[key] = new PyGlobal(module, name);
            }
        }
    }

    /// <summary><c>obj.__reduce_ex__(2)</c>'s answer: <c>(func, args, state, None, dictitems)</c>.</summary>
    internal sealed class PyReduce(object func, PyTuple args, object? state = null, IReadOnlyList<(object Key, object Value)>? dictItems = null)
    {
        public object Func { get; } = func;

        public PyTuple Args { get; } = args;

        public object? State { get; } = state;

        public IReadOnlyList<(object Key, object Value)>? DictItems { get; } = dictItems;
    }

    /// <summary>CPython's <c>pickle._Pickler.save</c> for protocol 2, for the types a state dict holds, with torch's persistent_id.</summary>
    private sealed class Pickler : IDisposable
    {
        private const string StorageTag = "storage"; // one constant object, like the literal in torch.serialization
        private const string Cpu = "cpu";
        private readonly MemoryStream _out = new();
        private readonly Dictionary<object, int> _memo = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<Storage, string> _keys = new(ReferenceEqualityComparer.Instance);

        public List<Storage> Storages { get; } = [];

        public void Dump(object value)
        {
            _out.Write([0x80, 2]); // PROTO 2
            Save(value);
            _out.WriteByte((byte)'.');
        }

        public byte[] ToArray() => _out.ToArray();

        public void Dispose() => _out.Dispose();

        private void Save(object value)
        {
            if (value is Storage storage)
            {
                // persistent_id: ('storage', storage_type, key, location, numel); the tuple is saved, then BINPERSID.
                if (!_keys.TryGetValue(storage, out var key))
                {
                    key = _keys[storage] = storage.Key = _keys.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    Storages.Add(storage);
                }

                var (storageClass, size) = Dtypes[storage.Dtype];
                var type = storageClass is null ? PyGlobal.Get("torch.storage", "UntypedStorage") : PyGlobal.Get("torch", storageClass);
                var numel = storageClass is null ? storage.Bytes.Length : storage.Bytes.Length / size;
                Save(new PyTuple(StorageTag, type, key, Cpu, (long)numel));
                _out.WriteByte((byte)'Q');
                return;
            }

            if (value is not (long or bool) && _memo.TryGetValue(value, out var index))
            {
                Get(index);
                return;
            }

            switch (value)
            {
                case bool b:
                    _out.WriteByte(b ? (byte)0x88 : (byte)0x89);
                    break;
                case long n:
                    SaveLong(n);
                    break;
                case string s:
                    var utf8 = Encoding.UTF8.GetBytes(s);
                    _out.WriteByte((byte)'X');
                    _out.Write(BitConverter.GetBytes((uint)utf8.Length));
                    _out.Write(utf8);
                    Memoize(s);
                    break;
                case PyGlobal g:
                    _out.Write(Encoding.ASCII.GetBytes($"c{g.Module}\n{g.Name}\n"));
                    Memoize(g);
                    break;
                case PyTuple t when t.Items.Length == 0:
                    _out.WriteByte((byte)')');
                    break;
                case PyTuple t when t.Items.Length <= 3:
                    foreach (var item in t.Items)
                    {
                        Save(item);
                    }

                    _out.WriteByte((byte)(0x84 + t.Items.Length));
                    Memoize(t);
                    break;
                case PyTuple t:
                    _out.WriteByte((byte)'(');
                    foreach (var item in t.Items)
                    {
                        Save(item);
                    }

                    _out.WriteByte((byte)'t');
                    Memoize(t);
                    break;
                case PyDict d:
                    _out.WriteByte((byte)'}');
                    Memoize(d);
                    BatchSetItems(d.Items);
                    break;
                case PyReduce r:
                    SaveReduce(r, r);
                    break;
                case Tensor tensor:
                    SaveTensor(tensor);
                    break;
                default:
                    throw new ArgumentException($"cannot pickle {value.GetType().Name}");
            }
        }

        private void SaveTensor(Tensor tensor)
        {
            // Tensor._reduce_ex_internal: _rebuild_tensor_v2 of a TypedStorage, or _v3 with the untyped storage and the dtype.
            var v3 = Dtypes[tensor.Storage.Dtype].StorageClass is null;
            var hooks = new PyReduce(PyGlobal.OrderedDict, new PyTuple());
            var args = new List<object> { tensor.Storage, tensor.Offset, Ints(tensor.Shape), Ints(tensor.Stride), false, hooks };
            if (v3)
            {
                args.Add(PyGlobal.Get("torch", tensor.Storage.Dtype));
            }

            var data = new PyReduce(PyGlobal.Get("torch._utils", v3 ? "_rebuild_tensor_v3" : "_rebuild_tensor_v2"), new PyTuple([.. args]));
            if (!tensor.Parameter)
            {
                SaveReduce(data, tensor);
                return;
            }

            // Parameter.__reduce_ex__: (_rebuild_parameter, (self.data, self.requires_grad, OrderedDict())); self.data is a new tensor.
            var parameter = new PyReduce(PyGlobal.Get("torch._utils", "_rebuild_parameter"),
                new PyTuple(data, true, new PyReduce(PyGlobal.OrderedDict, new PyTuple())));
            SaveReduce(parameter, tensor);
        }

        private static PyTuple Ints(long[] values) => new([.. values.Cast<object>()]);

        private void SaveReduce(PyReduce reduce, object obj)
        {
            Save(reduce.Func);
            Save(reduce.Args);
            _out.WriteByte((byte)'R');
            Memoize(obj);
            if (reduce.DictItems is { } items)
            {
                BatchSetItems(items);
            }

            if (reduce.State is { } state)
            {
                Save(state);
                _out.WriteByte((byte)'b');
            }
        }

        private void BatchSetItems(IReadOnlyList<(object Key, object Value)> items)
        {
            foreach (var batch in items.Chunk(1000))
            {
                if (batch.Length == 1)
                {
                    Save(batch[0].Key);
                    Save(batch[0].Value);
                    _out.WriteByte((byte)'s');
                    continue;
                }

                _out.WriteByte((byte)'(');
                foreach (var (key, value) in batch)
                {
                    Save(key);
                    Save(value);
                }

                _out.WriteByte((byte)'u');
            }
        }

        private void SaveLong(long n)
        {
            if (n is >= 0 and <= 0xff)
            {
                _out.Write([(byte)'K', (byte)n]);
            }
            else if (n is >= 0 and <= 0xffff)
            {
                _out.WriteByte((byte)'M');
                _out.Write(BitConverter.GetBytes((ushort)n));
            }
            else if (n is >= int.MinValue and <= int.MaxValue)
            {
                _out.WriteByte((byte)'J');
                _out.Write(BitConverter.GetBytes((int)n));
            }
            else
            {
                // LONG1: the shortest little-endian two's complement encoding.
                var bytes = BitConverter.GetBytes(n).ToList();
                while (bytes.Count > 1 && ((bytes[^1] == 0 && bytes[^2] < 0x80) || (bytes[^1] == 0xff && bytes[^2] >= 0x80)))
                {
                    bytes.RemoveAt(bytes.Count - 1);
                }

                _out.Write([0x8a, (byte)bytes.Count, .. bytes]);
            }
        }

        private void Memoize(object value)
        {
            var index = _memo.Count;
            _memo[value] = index;
            if (index < 256)
            {
                _out.Write([(byte)'q', (byte)index]);
            }
            else
            {
                _out.WriteByte((byte)'r');
                _out.Write(BitConverter.GetBytes((uint)index));
            }
        }

        private void Get(int index)
        {
            if (index < 256)
            {
                _out.Write([(byte)'h', (byte)index]);
            }
            else
            {
                _out.WriteByte((byte)'j');
                _out.Write(BitConverter.GetBytes((uint)index));
            }
        }
    }
}

/// <summary>
/// The zip layout of caffe2's <c>PyTorchStreamWriter</c> over miniz: every record stored under <c>&lt;archive&gt;/</c>, its data
/// aligned to 64 bytes by an <c>FB</c> extra field (<c>getPadding</c>), local headers without sizes (flags 0x0808) and a data
/// descriptor after the data, a central directory with ZIP64 extras and a ZIP64 end record only where needed (or always, forced).
/// </summary>
internal sealed class TorchZipWriter(Stream output, string archive, bool forceZip64 = false, IReadOnlySet<string>? deflated = null) : IDisposable
{
    private const int Alignment = 64;
    private const ushort Flags = 0x0808; // data descriptor follows, UTF-8 names
    private readonly List<(byte[] Name, int Method, uint Crc, long Compressed, long Size, long Offset)> _central = [];

    public long Position { get; private set; }

    /// <summary>Writes a record; <paramref name="sparseLength"/> instead of data leaves a hole of that many zero bytes (a sparse file).</summary>
    public void WriteRecord(string name, byte[] data, long? sparseLength = null)
    {
        var fullName = Encoding.UTF8.GetBytes($"{archive}/{name}");
        var size = sparseLength ?? data.Length;
        var deflate = deflated?.Contains(name) == true;
        var payload = deflate ? Deflate(data) : data;
        var compressed = deflate ? payload.LongLength : size;
        var offset = Position;
        var zip64Size = forceZip64 || size >= uint.MaxValue;
        var zip64Offset = forceZip64 || offset >= uint.MaxValue;

        // getPadding: the data starts after the header, the name, the FB field's own 4 bytes and any ZIP64 extra.
        var start = offset + 30 + fullName.Length + 4;
        var zip64Extra = new List<byte>();
        if (zip64Size || zip64Offset)
        {
            start += 4 + (zip64Size ? 16 : 0) + (zip64Offset ? 8 : 0);
            zip64Extra.AddRange(BitConverter.GetBytes((ushort)1));
            zip64Extra.AddRange(BitConverter.GetBytes((ushort)((zip64Size ? 16 : 0) + (zip64Offset ? 8 : 0))));
            if (zip64Size)
            {
                zip64Extra.AddRange(BitConverter.GetBytes(size));
                zip64Extra.AddRange(BitConverter.GetBytes(compressed));
            }

            if (zip64Offset)
            {
                zip64Extra.AddRange(BitConverter.GetBytes(offset));
            }
        }

        var padding = (int)((Alignment - (start % Alignment)) % Alignment);
        byte[] extra = [.. zip64Extra, (byte)'F', (byte)'B', (byte)padding, (byte)(padding >> 8), .. Enumerable.Repeat((byte)'Z', padding)];

        var header = new byte[30];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), (ushort)(deflate ? 20 : 0));
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), Flags);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), (ushort)(deflate ? 8 : 0));
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(26), (ushort)fullName.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(28), (ushort)extra.Length);
        Write(header);
        Write(fullName);
        Write(extra);
        if (sparseLength is { } hole)
        {
            output.Seek(hole, SeekOrigin.Current);
            Position += hole;
        }
        else
        {
            Write(payload);
        }

        var crc = sparseLength is null ? Crc32.HashToUInt32(data) : 0u;
        var descriptor = new List<byte>();
        descriptor.AddRange(BitConverter.GetBytes(0x08074b50u));
        descriptor.AddRange(BitConverter.GetBytes(crc));
        descriptor.AddRange(zip64Extra.Count > 0
            ? [.. BitConverter.GetBytes(compressed), .. BitConverter.GetBytes(size)]
            : [.. BitConverter.GetBytes((uint)compressed), .. BitConverter.GetBytes((uint)size)]);
        Write([.. descriptor]);
        _central.Add((fullName, deflate ? 8 : 0, crc, compressed, size, offset));
    }

    public void Finish()
    {
        var centralOffset = Position;
        foreach (var (name, method, crc, compressed, size, offset) in _central)
        {
            var zip64Size = forceZip64 || size >= uint.MaxValue;
            var zip64Offset = forceZip64 || offset >= uint.MaxValue;
            var extra = new List<byte>();
            if (zip64Size || zip64Offset)
            {
                extra.AddRange(BitConverter.GetBytes((ushort)1));
                extra.AddRange(BitConverter.GetBytes((ushort)((zip64Size ? 16 : 0) + (zip64Offset ? 8 : 0))));
                if (zip64Size)
                {
                    extra.AddRange(BitConverter.GetBytes(size));
                    extra.AddRange(BitConverter.GetBytes(compressed));
                }

                if (zip64Offset)
                {
                    extra.AddRange(BitConverter.GetBytes(offset));
                }
            }

            var header = new byte[46];
            BinaryPrimitives.WriteUInt32LittleEndian(header, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 0x031e);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), (ushort)(extra.Count > 0 ? 45 : method == 8 ? 20 : 0));
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), Flags);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(10), (ushort)method);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), crc);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), zip64Size ? uint.MaxValue : (uint)compressed);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(24), zip64Size ? uint.MaxValue : (uint)size);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(28), (ushort)name.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(30), (ushort)extra.Count);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(42), zip64Offset ? uint.MaxValue : (uint)offset);
            Write(header);
            Write(name);
            Write([.. extra]);
        }

        var centralLength = Position - centralOffset;
        var zip64End = forceZip64 || centralOffset + centralLength >= uint.MaxValue || _central.Count >= ushort.MaxValue;
        if (zip64End)
        {
            var recordOffset = Position;
            var record = new byte[56];
            BinaryPrimitives.WriteUInt32LittleEndian(record, 0x06064b50);
            BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(4), 56 - 12);
            BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(12), 0x031e);
            BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(14), 45);
            BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(24), _central.Count);
            BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(32), _central.Count);
            BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(40), centralLength);
            BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(48), centralOffset);
            Write(record);
            var locator = new byte[20];
            BinaryPrimitives.WriteUInt32LittleEndian(locator, 0x07064b50);
            BinaryPrimitives.WriteInt64LittleEndian(locator.AsSpan(8), recordOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(locator.AsSpan(16), 1);
            Write(locator);
        }

        var end = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        var count = (ushort)Math.Min(_central.Count, ushort.MaxValue);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(8), forceZip64 ? ushort.MaxValue : count);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(10), forceZip64 ? ushort.MaxValue : count);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(12), zip64End ? uint.MaxValue : (uint)centralLength);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(16), zip64End ? uint.MaxValue : (uint)centralOffset);
        Write(end);
        output.Flush();
    }

    public void Dispose() => output.Dispose();

    private static byte[] Deflate(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var deflate = new DeflateStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            deflate.Write(data);
        }

        return buffer.ToArray();
    }

    private void Write(byte[] bytes)
    {
        output.Write(bytes);
        Position += bytes.Length;
    }
}
