using System.Buffers.Binary;
using System.Text;
using Tensorizer.Format;

namespace Checkpoints.Formats;

/// <summary>A global the restricted unpickler allows: a marker that is never imported, called or instantiated.</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>A tuple: pickle's immutable sequence.</summary>
internal sealed class PickleTuple(object[] items)
{
    public object[] Items { get; } = items;
}

/// <summary>A list.</summary>
internal sealed class PickleList
{
    public List<object> Items { get; } = [];
}

/// <summary>A dict (or an OrderedDict) with string, integer or boolean keys, in insertion order.</summary>
internal sealed class PickleDict(bool ordered)
{
    private readonly Dictionary<object, int> _index = [];

    public bool IsOrdered { get; } = ordered;

    public List<KeyValuePair<object, object>> Items { get; } = [];

    /// <summary>Python's <c>d[key] = value</c>: a repeated key keeps its first position and takes the new value.</summary>
    public void Set(object key, object value)
    {
        if (_index.TryGetValue(key, out var at))
        {
            Items[at] = new(key, value);
        }
        else
        {
            _index[key] = Items.Count;
            Items.Add(new(key, value));
        }
    }
}

/// <summary>A storage named by a persistent id: <c>('storage', type, key, location, numel)</c>. <see cref="Type"/> is null for untyped (byte) storages.</summary>
internal sealed record PickleStorage(TensorElementType? Type, string TypeName, string Key, string Location, long Numel);

/// <summary>What <c>_rebuild_tensor_v2</c>/<c>_v3</c> would build: a strided view of a storage.</summary>
internal sealed record PickleTensor(PickleStorage Storage, TensorElementType Type, long StorageOffset, long[] Shape, long[] Stride);

/// <summary>
/// A restricted unpickler for the <c>data.pkl</c> of a <c>torch.save</c> archive. It executes nothing: the only
/// globals it accepts are <c>collections.OrderedDict</c>, the torch tensor rebuild functions
/// (<c>torch._utils._rebuild_tensor_v2</c>, <c>_rebuild_tensor_v3</c>, <c>_rebuild_parameter</c>), storage types and dtypes,
/// and it interprets their REDUCEs itself into <see cref="PickleDict"/>, <see cref="PickleTensor"/> and the like.
/// Any other global, REDUCE, BUILD or instantiation is refused. The machine never recurses, and its stack,
/// mark nesting and memo are bounded, so hostile input cannot exhaust the call stack or memory.
/// </summary>
internal sealed class TorchPickle
{
    public const int MaxStack = 1_000_000;
    public const int MaxMarkDepth = 256;
    public const int MaxMemo = 4_000_000;
    public const int MaxRank = 64;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly PickleGlobal OrderedDict = new("collections", "OrderedDict");
    private static readonly PickleGlobal RebuildTensorV2 = new("torch._utils", "_rebuild_tensor_v2");
    private static readonly PickleGlobal RebuildTensorV3 = new("torch._utils", "_rebuild_tensor_v3");
    private static readonly PickleGlobal RebuildParameter = new("torch._utils", "_rebuild_parameter");
    private static readonly PickleGlobal UntypedStorage = new("torch", "UntypedStorage");
    private static readonly PickleGlobal UntypedStorageInModule = new("torch.storage", "UntypedStorage");

    /// <summary>Legacy typed storage classes (<c>torch.HalfStorage</c>...), which carry their element type.</summary>
    private static readonly Dictionary<string, TensorElementType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["DoubleStorage"] = TensorElementType.Float64,
        ["FloatStorage"] = TensorElementType.Float32,
        ["HalfStorage"] = TensorElementType.Float16,
        ["BFloat16Storage"] = TensorElementType.BFloat16,
        ["LongStorage"] = TensorElementType.Int64,
        ["IntStorage"] = TensorElementType.Int32,
        ["ShortStorage"] = TensorElementType.Int16,
        ["CharStorage"] = TensorElementType.Int8,
        ["ByteStorage"] = TensorElementType.UInt8,
        ["BoolStorage"] = TensorElementType.Bool,
        ["ComplexHalfStorage"] = TensorElementType.Complex32,
        ["ComplexFloatStorage"] = TensorElementType.Complex64,
        ["ComplexDoubleStorage"] = TensorElementType.Complex128,
    };

    /// <summary>dtypes (<c>torch.float16</c>...) as <c>_rebuild_tensor_v3</c> names them; torch pickles a dtype as a global of its name.</summary>
    private static readonly Dictionary<string, TensorElementType> Dtypes = new(StringComparer.Ordinal)
    {
        ["float64"] = TensorElementType.Float64,
        ["double"] = TensorElementType.Float64,
        ["float32"] = TensorElementType.Float32,
        ["float"] = TensorElementType.Float32,
        ["float16"] = TensorElementType.Float16,
        ["half"] = TensorElementType.Float16,
        ["bfloat16"] = TensorElementType.BFloat16,
        ["int64"] = TensorElementType.Int64,
        ["long"] = TensorElementType.Int64,
        ["int32"] = TensorElementType.Int32,
        ["int"] = TensorElementType.Int32,
        ["int16"] = TensorElementType.Int16,
        ["short"] = TensorElementType.Int16,
        ["int8"] = TensorElementType.Int8,
        ["uint8"] = TensorElementType.UInt8,
        ["uint16"] = TensorElementType.UInt16,
        ["uint32"] = TensorElementType.UInt32,
        ["uint64"] = TensorElementType.UInt64,
        ["bool"] = TensorElementType.Bool,
        ["complex32"] = TensorElementType.Complex32,
        ["complex64"] = TensorElementType.Complex64,
        ["complex128"] = TensorElementType.Complex128,
        ["float8_e4m3fn"] = TensorElementType.Float8E4M3FN,
        ["float8_e5m2"] = TensorElementType.Float8E5M2,
        ["float8_e4m3fnuz"] = TensorElementType.Float8E4M3FNUZ,
        ["float8_e5m2fnuz"] = TensorElementType.Float8E5M2FNUZ,
        ["float8_e8m0fnu"] = TensorElementType.Float8E8M0FNU,
    };

    private readonly byte[] _data;
    private readonly string _origin;
    private readonly List<object> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object> _memo = [];
    private int _position;
    private int _opcodeAt;

    private TorchPickle(byte[] data, string origin)
    {
        _data = data;
        _origin = origin;
    }

    /// <summary>The None singleton.</summary>
    public static object None { get; } = new PickleNoneValue();

    /// <summary>Unpickles <paramref name="data"/>; errors name <paramref name="origin"/> (the file and entry).</summary>
    public static object Load(byte[] data, string origin) => new TorchPickle(data, origin).Run();

    /// <summary>A short description of a value for error messages (never recursive).</summary>
    public static string Describe(object value) => value switch
    {
        string => "a string",
        long => "an integer",
        bool => "a boolean",
        double => "a float",
        byte[] => "bytes",
        PickleNoneValue => "None",
        PickleTuple => "a tuple",
        PickleList => "a list",
        PickleDict { IsOrdered: true } => "an OrderedDict",
        PickleDict => "a dict",
        PickleGlobal g => g.ToString(),
        PickleStorage => "a storage",
        PickleTensor => "a tensor",
        _ => value.GetType().Name,
    };

    private object Run()
    {
        while (_position < _data.Length)
        {
            _opcodeAt = _position;
            var opcode = _data[_position++];
            switch (opcode)
            {
                case 0x80: // PROTO
                    var protocol = ReadByte();
                    if (protocol > 5)
                    {
                        throw Error($"uses pickle protocol {protocol}; at most 5 is supported");
                    }

                    break;
                case 0x95: // FRAME: a length hint only
                    _ = Take(ReadLength(8), peek: true);
                    break;
                case (byte)'.': // STOP
                    return Pop();
                case (byte)'(': // MARK
                    if (_marks.Count >= MaxMarkDepth)
                    {
                        throw Error($"nests deeper than {MaxMarkDepth} marks");
                    }

                    _marks.Push(_stack.Count);
                    break;
                case (byte)'0': // POP
                    _ = Pop();
                    break;
                case (byte)'1': // POP_MARK
                    _ = PopMark();
                    break;
                case (byte)'2': // DUP
                    Push(Peek());
                    break;
                case (byte)'N':
                    Push(None);
                    break;
                case 0x88: // NEWTRUE
                    Push(true);
                    break;
                case 0x89: // NEWFALSE
                    Push(false);
                    break;
                case (byte)'J': // BININT
                    Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4)));
                    break;
                case (byte)'K': // BININT1
                    Push((long)ReadByte());
                    break;
                case (byte)'M': // BININT2
                    Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2)));
                    break;
                case 0x8a: // LONG1
                    Push(ReadLong(ReadByte()));
                    break;
                case 0x8b: // LONG4
                    Push(ReadLong(ReadLength(4)));
                    break;
                case (byte)'G': // BINFLOAT
                    Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8)));
                    break;
                case (byte)'X': // BINUNICODE
                    Push(ReadString(ReadLength(4)));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    Push(ReadString(ReadByte()));
                    break;
                case 0x8d: // BINUNICODE8
                    Push(ReadString(ReadLength(8)));
                    break;
                case (byte)'T': // BINSTRING (Python 2 str; torch.load decodes it as UTF-8)
                    Push(ReadString(ReadLength(4)));
                    break;
                case (byte)'U': // SHORT_BINSTRING
                    Push(ReadString(ReadByte()));
                    break;
                case (byte)'B': // BINBYTES
                    Push(Take(ReadLength(4)).ToArray());
                    break;
                case (byte)'C': // SHORT_BINBYTES
                    Push(Take(ReadByte()).ToArray());
                    break;
                case 0x8e: // BINBYTES8
                    Push(Take(ReadLength(8)).ToArray());
                    break;
                case (byte)')': // EMPTY_TUPLE
                    Push(new PickleTuple([]));
                    break;
                case 0x85: // TUPLE1
                case 0x86: // TUPLE2
                case 0x87: // TUPLE3
                    var count = opcode - 0x84;
                    if (_stack.Count - count < CurrentMark)
                    {
                        throw Error("pops below its stack");
                    }

                    var items = _stack.GetRange(_stack.Count - count, count).ToArray();
                    _stack.RemoveRange(_stack.Count - count, count);
                    Push(new PickleTuple(items));
                    break;
                case (byte)'t': // TUPLE
                    Push(new PickleTuple([.. PopMark()]));
                    break;
                case (byte)']': // EMPTY_LIST
                    Push(new PickleList());
                    break;
                case (byte)'l': // LIST
                    var list = new PickleList();
                    list.Items.AddRange(PopMark());
                    Push(list);
                    break;
                case (byte)'}': // EMPTY_DICT
                    Push(new PickleDict(ordered: false));
                    break;
                case (byte)'d': // DICT
                    var dict = new PickleDict(ordered: false);
                    SetItems(dict, PopMark());
                    Push(dict);
                    break;
                case (byte)'a': // APPEND
                    var appended = Pop();
                    ListAt(Peek()).Items.Add(appended);
                    break;
                case (byte)'e': // APPENDS
                    var appendedItems = PopMark();
                    ListAt(Peek()).Items.AddRange(appendedItems);
                    break;
                case (byte)'s': // SETITEM
                    var value = Pop();
                    var key = Pop();
                    SetItems(DictAt(Peek()), [key, value]);
                    break;
                case (byte)'u': // SETITEMS
                    var pairs = PopMark();
                    SetItems(DictAt(Peek()), pairs);
                    break;
                case (byte)'q': // BINPUT
                    Memoize(ReadByte());
                    break;
                case (byte)'r': // LONG_BINPUT
                    Memoize(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)));
                    break;
                case 0x94: // MEMOIZE
                    Memoize(_memo.Count);
                    break;
                case (byte)'h': // BINGET
                    Push(Recall(ReadByte()));
                    break;
                case (byte)'j': // LONG_BINGET
                    Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))));
                    break;
                case (byte)'c': // GLOBAL
                    var module = ReadLine();
                    Push(Global(module, ReadLine()));
                    break;
                case 0x93: // STACK_GLOBAL
                    var name = Pop();
                    var moduleName = Pop();
                    Push(moduleName is string m && name is string n
                        ? Global(m, n)
                        : throw Error($"STACK_GLOBAL needs two strings, not {Describe(moduleName)} and {Describe(name)}"));
                    break;
                case (byte)'R': // REDUCE
                    var arguments = Pop();
                    var callable = Pop();
                    Push(Reduce(callable, arguments));
                    break;
                case (byte)'b': // BUILD
                    var state = Pop();
                    var target = Peek();
                    if (target is not PickleDict { IsOrdered: true })
                    {
                        throw Error($"refusing to execute BUILD (setting the state of {Describe(target)} from {Describe(state)})");
                    }

                    // An OrderedDict's state is its instance dict: the state dict's _metadata, which holds no tensors.
                    break;
                case (byte)'Q': // BINPERSID
                    Push(Storage(Pop()));
                    break;
                case (byte)'i': // INST
                case (byte)'o': // OBJ
                case 0x81: // NEWOBJ
                case 0x92: // NEWOBJ_EX
                    throw Error($"refusing to execute {OpcodeName(opcode)} (instantiating a class)");
                default:
                    throw Error($"uses opcode {OpcodeName(opcode)}, which this restricted unpickler does not support");
            }
        }

        throw Error("ends without a STOP opcode (truncated?)");
    }

    private int CurrentMark => _marks.Count > 0 ? _marks.Peek() : 0;

    private PickleGlobal Global(string module, string name)
    {
        var global = new PickleGlobal(module, name);
        if (global == OrderedDict || global == RebuildTensorV2 || global == RebuildTensorV3 || global == RebuildParameter
            || global == UntypedStorage || global == UntypedStorageInModule
            || (module == "torch" && (StorageTypes.ContainsKey(name) || Dtypes.ContainsKey(name))))
        {
            return global;
        }

        throw Error($"refusing to execute {global}: only collections.OrderedDict, torch._utils._rebuild_tensor_v2/_v3, "
            + "torch._utils._rebuild_parameter, torch storage types and dtypes are allowed");
    }

    private object Reduce(object callable, object arguments)
    {
        if (arguments is not PickleTuple { Items: var args })
        {
            throw Error($"REDUCE needs an argument tuple, not {Describe(arguments)}");
        }

        if (callable is not PickleGlobal global || global == UntypedStorage || global == UntypedStorageInModule || global.Module == "torch")
        {
            throw Error($"refusing to execute a call of {Describe(callable)}");
        }

        if (global == OrderedDict)
        {
            return args.Length == 0
                ? new PickleDict(ordered: true)
                : throw Error("refusing to execute collections.OrderedDict with arguments");
        }

        if (global == RebuildParameter)
        {
            // _rebuild_parameter(data, requires_grad, backward_hooks): the parameter is its data.
            return args is [PickleTensor tensor, bool, PickleDict]
                ? tensor
                : throw Error("torch._utils._rebuild_parameter needs (tensor, requires_grad, backward_hooks)");
        }

        // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        // _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype[, metadata])
        var v3 = global == RebuildTensorV3;
        var (minimum, maximum) = v3 ? (7, 8) : (6, 7);
        if (args.Length < minimum || args.Length > maximum || args[0] is not PickleStorage storage || args[1] is not long offset
            || args[2] is not PickleTuple size || args[3] is not PickleTuple stride || args[4] is not bool || args[5] is not PickleDict hooks)
        {
            throw Error($"{global} needs (storage, storage_offset, size, stride, requires_grad, backward_hooks{(v3 ? ", dtype" : "")}[, metadata])");
        }

        if (hooks.Items.Count > 0)
        {
            throw Error($"{global} has backward hooks, which are code; refusing them");
        }

        var type = storage.Type ?? TensorElementType.UInt8;
        if (v3)
        {
            if (args[6] is not PickleGlobal { Module: "torch" } dtype || !Dtypes.TryGetValue(dtype.Name, out type))
            {
                throw Error($"{global} needs a torch dtype, not {Describe(args[6])}");
            }

            if (storage.Type is { } storageType && storageType != type)
            {
                throw Error($"{global} views a {storage.TypeName} as {dtype}");
            }
        }

        return new PickleTensor(storage, type, offset, Dimensions(size, "size"), Dimensions(stride, "stride"));
    }

    private long[] Dimensions(PickleTuple tuple, string what)
    {
        if (tuple.Items.Length > MaxRank)
        {
            throw Error($"a tensor {what} has {tuple.Items.Length} dimensions (at most {MaxRank} are supported)");
        }

        return [.. tuple.Items.Select(d => d is long value ? value : throw Error($"a tensor {what} holds {Describe(d)}, not an integer"))];
    }

    private PickleStorage Storage(object persistentId)
    {
        // ('storage', storage_type, key, location, numel), as torch.serialization._save's persistent_id writes it.
        if (persistentId is not PickleTuple { Items: ["storage", PickleGlobal type, string key, string location, long numel] })
        {
            throw Error($"refusing persistent id {Describe(persistentId)}: only ('storage', type, key, location, numel) is supported");
        }

        if (numel < 0)
        {
            throw Error($"storage '{key}' has a negative size {numel}");
        }

        return type == UntypedStorage || type == UntypedStorageInModule
            ? new PickleStorage(null, type.ToString(), key, location, numel)
            : type.Module == "torch" && StorageTypes.TryGetValue(type.Name, out var elementType)
                ? new PickleStorage(elementType, type.ToString(), key, location, numel)
                : throw Error($"storage '{key}' has type {type}, which is not a storage type");
    }

    private void SetItems(PickleDict dict, List<object> items)
    {
        if (items.Count % 2 != 0)
        {
            throw Error("sets a dict item without a value");
        }

        for (var i = 0; i < items.Count; i += 2)
        {
            dict.Set(items[i] is string or long or bool ? items[i] : throw Error($"uses {Describe(items[i])} as a dict key; only strings, integers and booleans are supported"), items[i + 1]);
        }
    }

    private PickleList ListAt(object value) =>
        value as PickleList ?? throw Error($"refusing to execute APPEND on {Describe(value)}");

    private PickleDict DictAt(object value) =>
        value as PickleDict ?? throw Error($"refusing to execute SETITEM on {Describe(value)}");

    private void Push(object value)
    {
        if (_stack.Count >= MaxStack)
        {
            throw Error($"holds more than {MaxStack} values on its stack");
        }

        _stack.Add(value);
    }

    private object Peek() =>
        _stack.Count > CurrentMark ? _stack[^1] : throw Error("reads from an empty stack");

    private object Pop()
    {
        var value = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private List<object> PopMark()
    {
        if (_marks.Count == 0)
        {
            throw Error("pops to a MARK that is not there");
        }

        var mark = _marks.Pop();
        var items = _stack.GetRange(mark, _stack.Count - mark);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private void Memoize(long index)
    {
        if (_memo.Count >= MaxMemo && !_memo.ContainsKey(index))
        {
            throw Error($"memoizes more than {MaxMemo} values");
        }

        _memo[index] = Peek();
    }

    private object Recall(long index) =>
        _memo.TryGetValue(index, out var value) ? value : throw Error($"reads memo entry {index}, which was never stored");

    private byte ReadByte() => Take(1)[0];

    private int ReadLength(int width)
    {
        var bytes = Take(width);
        var length = width == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        return length <= (ulong)(_data.Length - _position)
            ? (int)length
            : throw Error($"declares a {length}-byte value with only {_data.Length - _position} bytes left");
    }

    private long ReadLong(int length)
    {
        if (length > 8)
        {
            throw Error($"holds a {length}-byte integer; at most 8 bytes are supported");
        }

        var bytes = Take(length);
        long value = 0;
        for (var i = length - 1; i >= 0; i--)
        {
            value = (value << 8) | bytes[i];
        }

        // Two's complement: sign-extend from the top byte.
        return length is > 0 and < 8 && (bytes[^1] & 0x80) != 0 ? value - (1L << (8 * length)) : value;
    }

    private string ReadString(int length)
    {
        try
        {
            return StrictUtf8.GetString(Take(length));
        }
        catch (DecoderFallbackException)
        {
            throw Error("holds a string that is not valid UTF-8");
        }
    }

    private string ReadLine()
    {
        var end = Array.IndexOf(_data, (byte)'\n', _position, Math.Min(_data.Length - _position, 256));
        if (end < 0)
        {
            throw Error("has a GLOBAL name that is unterminated or longer than 256 bytes");
        }

        var line = Encoding.ASCII.GetString(_data, _position, end - _position);
        _position = end + 1;
        return line;
    }

    private ReadOnlySpan<byte> Take(int length, bool peek = false)
    {
        if (length > _data.Length - _position)
        {
            throw Error("ends in the middle of an opcode (truncated?)");
        }

        var span = _data.AsSpan(_position, length);
        _position += peek ? 0 : length;
        return span;
    }

    private InvalidDataException Error(string problem) => new($"{_origin}: {problem} (opcode at byte {_opcodeAt}).");

    private static string OpcodeName(byte opcode) => opcode switch
    {
        (byte)'i' => "INST",
        (byte)'o' => "OBJ",
        0x81 => "NEWOBJ",
        0x92 => "NEWOBJ_EX",
        0x82 or 0x83 or 0x84 => "EXT",
        (byte)'P' => "PERSID",
        (byte)'I' => "INT",
        (byte)'L' => "LONG",
        (byte)'S' => "STRING",
        (byte)'V' => "UNICODE",
        (byte)'F' => "FLOAT",
        (byte)'g' => "GET",
        (byte)'p' => "PUT",
        0x8f => "EMPTY_SET",
        0x90 => "ADDITEMS",
        0x91 => "FROZENSET",
        0x96 => "BYTEARRAY8",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        _ => $"0x{opcode:x2}",
    } + (opcode is >= 0x20 and < 0x7f ? $" ('{(char)opcode}')" : "");

    private sealed class PickleNoneValue;
}
