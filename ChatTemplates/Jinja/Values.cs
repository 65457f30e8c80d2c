using System.Collections;

namespace ChatTemplates.Jinja;

// The runtime values, as Python's Jinja sees them:
//   null → None, Undefined → jinja2.Undefined, bool, long → int, double → float, string → str,
//   PyList → list or tuple, PyDict → dict (insertion-ordered), Namespace, LoopContext, ICallable (macros,
//   built-in functions, bound methods).
// Values that reach a template are never mutated in place: the sandbox Hugging Face renders in refuses
// list.append, dict.update and the like. Only a Namespace's attributes change, through {% set ns.x = ... %}.

/// <summary>A name or member that does not exist. Printing it gives "", iterating it gives nothing, and
/// (as in Hugging Face's own JavaScript renderer) its attributes and items are undefined too; calling it,
/// doing arithmetic with it or asking for its JSON is an error.</summary>
internal sealed class Undefined
{
    public static readonly Undefined Instance = new(null);

    public Undefined(string? name) => Name = name;

    /// <summary>What was looked up, for error messages.</summary>
    public string? Name { get; }

    public override string ToString() => "";
}

internal sealed class PyList : IReadOnlyList<object?>
{
    public static readonly PyList Empty = new([]);

    public PyList(List<object?> items, bool isTuple = false)
    {
        Items = items;
        IsTuple = isTuple;
    }

    public List<object?> Items { get; }

    /// <summary>A tuple: compares unequal to a list with the same items, and prints with parentheses.</summary>
    public bool IsTuple { get; }

    public int Count => Items.Count;

    public object? this[int index] => Items[index];

    public IEnumerator<object?> GetEnumerator() => Items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public static PyList Tuple(params object?[] items) => new([.. items], isTuple: true);
}

/// <summary>A dict: keys in insertion order, compared as Python compares them (1 == 1.0 == True).</summary>
internal sealed class PyDict
{
    private readonly List<KeyValuePair<object, object?>> _entries = [];
    private readonly Dictionary<object, int> _index = new(PyKeyComparer.Instance);

    public int Count => _entries.Count;

    public IReadOnlyList<KeyValuePair<object, object?>> Entries => _entries;

    public IEnumerable<object> Keys => _entries.Select(e => e.Key);

    public IEnumerable<object?> Values => _entries.Select(e => e.Value);

    public bool TryGetValue(object key, out object? value)
    {
        if (PyKeyComparer.IsHashable(key) && _index.TryGetValue(key, out var i))
        {
            value = _entries[i].Value;
            return true;
        }
        value = null;
        return false;
    }

    public bool ContainsKey(object key) => PyKeyComparer.IsHashable(key) && _index.ContainsKey(key);

    /// <summary>Adds or replaces; a replaced key keeps its place, as in Python.</summary>
    public void Set(object key, object? value)
    {
        if (!PyKeyComparer.IsHashable(key))
        {
            throw new PyTypeError($"unhashable type: '{Py.TypeName(key)}'");
        }
        if (_index.TryGetValue(key, out var i))
        {
            _entries[i] = new(_entries[i].Key, value);
        }
        else
        {
            _index[key] = _entries.Count;
            _entries.Add(new(key, value));
        }
    }
}

/// <summary>Python-style key equality and hashing: numbers by value (bool as 0/1), strings ordinally.</summary>
internal sealed class PyKeyComparer : IEqualityComparer<object>
{
    public static readonly PyKeyComparer Instance = new();

    public static bool IsHashable(object? key) => key switch
    {
        null or bool or long or double or string => true,
        PyList list => list.IsTuple && list.Items.All(IsHashable),
        PyDict or Undefined => false,
        _ => true,
    };

    public new bool Equals(object? x, object? y) => Py.Equal(x, y);

    public int GetHashCode(object obj) => obj switch
    {
        bool b => b ? 1 : 0,
        long l => l.GetHashCode(),
        double d when d == Math.Floor(d) && Math.Abs(d) < 9e18 => ((long)d).GetHashCode(),
        double d => d.GetHashCode(),
        string s => StringComparer.Ordinal.GetHashCode(s),
        PyList list => list.Items.Aggregate(17, (h, item) => (h * 31) + (item is null ? 0 : GetHashCode(item))),
        _ => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj),
    };
}

/// <summary>The object <c>namespace(...)</c> makes: the one value a template may change, attribute by attribute.</summary>
internal sealed class Namespace
{
    public PyDict Attributes { get; } = new();
}

/// <summary>The <c>loop</c> variable of a for loop.</summary>
internal sealed class LoopContext
{
    public required IReadOnlyList<object?> Items { get; init; }

    public int Index0 { get; set; }

    public int Depth { get; init; } = 1;

    public int Length => Items.Count;

    public object? Attribute(string name) => name switch
    {
        "index" => (long)(Index0 + 1),
        "index0" => (long)Index0,
        "revindex" => (long)(Length - Index0),
        "revindex0" => (long)(Length - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == Length - 1,
        "length" => (long)Length,
        "depth" => (long)Depth,
        "depth0" => (long)(Depth - 1),
        "previtem" => Index0 > 0 ? Items[Index0 - 1] : new Undefined("loop.previtem"),
        "nextitem" => Index0 < Length - 1 ? Items[Index0 + 1] : new Undefined("loop.nextitem"),
        "cycle" => new BuiltinFunction("loop.cycle", (_, args, _) =>
        {
            if (args.Positional.Count == 0)
            {
                throw new PyTypeError("loop.cycle() needs at least one value");
            }
            return args.Positional[Index0 % args.Positional.Count];
        }),
        _ => new Undefined("loop." + name),
    };
}

/// <summary>Arguments of a call: positional, then keyword in the order written.</summary>
internal sealed class Arguments
{
    public static readonly Arguments None = new([], []);

    public Arguments(List<object?> positional, List<KeyValuePair<string, object?>> keywords)
    {
        Positional = positional;
        Keywords = keywords;
    }

    public List<object?> Positional { get; }

    public List<KeyValuePair<string, object?>> Keywords { get; }

    /// <summary>The argument at <paramref name="position"/> or named <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    public object? Get(int position, string name, object? fallback)
    {
        foreach (var kv in Keywords)
        {
            if (kv.Key == name)
            {
                return kv.Value;
            }
        }
        return position >= 0 && position < Positional.Count ? Positional[position] : fallback;
    }

    public bool Has(int position, string name) =>
        (position >= 0 && position < Positional.Count) || Keywords.Exists(kv => kv.Key == name);

    /// <summary>Refuses keyword arguments outside <paramref name="names"/> and more than
    /// <paramref name="maxPositional"/> positional ones.</summary>
    public void Check(string what, int maxPositional, params string[] names)
    {
        if (Positional.Count > maxPositional)
        {
            throw new PyTypeError($"{what} takes at most {maxPositional} positional argument{(maxPositional == 1 ? "" : "s")} ({Positional.Count} given)");
        }
        foreach (var kv in Keywords)
        {
            if (Array.IndexOf(names, kv.Key) < 0)
            {
                throw new PyTypeError($"{what} got an unexpected keyword argument '{kv.Key}'");
            }
        }
    }
}

internal interface ICallable
{
    string Name { get; }

    object? Invoke(Evaluator evaluator, Arguments args, Node site);
}

internal sealed class BuiltinFunction(string name, Func<Evaluator, Arguments, Node, object?> body) : ICallable
{
    public string Name { get; } = name;

    public object? Invoke(Evaluator evaluator, Arguments args, Node site) => body(evaluator, args, site);
}

/// <summary>A method of a str, dict or list value, looked up by name (<c>content.strip</c>).</summary>
internal sealed class BoundMethod(object target, string name) : ICallable
{
    public object Target { get; } = target;

    public string Name { get; } = name;

    public object? Invoke(Evaluator evaluator, Arguments args, Node site) => Methods.Invoke(evaluator, Target, Name, args);
}

/// <summary>A Python TypeError/ValueError-like failure; the evaluator adds the template position.</summary>
internal sealed class PyTypeError : Exception
{
    public PyTypeError() : base("type error") { }

    public PyTypeError(string message) : base(message) { }

    public PyTypeError(string message, Exception inner) : base(message, inner) { }
}
