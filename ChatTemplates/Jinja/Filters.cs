using System.Globalization;
using System.Text;

namespace ChatTemplates.Jinja;

/// <summary>Jinja's built-in filters that chat templates use, with Jinja's parameter names and defaults, and
/// Hugging Face's <c>tojson</c> (Python's <c>json.dumps</c>: non-ASCII kept, <c>indent</c>, <c>separators</c>,
/// <c>sort_keys</c>, <c>ensure_ascii</c>).</summary>
internal static class Filters
{
    public static readonly HashSet<string> Names =
    [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
        "first", "float", "forceescape", "format", "indent", "int", "items", "join", "last", "length", "list",
        "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "round", "safe", "select",
        "selectattr", "sort", "string", "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "wordcount",
    ];

    /// <summary>Jinja filters this renderer refuses by name at parse time.</summary>
    public static readonly HashSet<string> JinjaOnly =
    [
        "filesizeformat", "groupby", "pprint", "random", "slice", "striptags", "urlencode", "urlize", "wordwrap",
        "xmlattr",
    ];

    public static object? Apply(Evaluator ev, string name, object? value, Arguments args)
    {
        switch (name)
        {
            case "abs":
                args.Check(name, 0);
                return value switch
                {
                    bool or long => (object)Math.Abs(Py.ToLong(value)),
                    double d => Math.Abs(d),
                    _ => throw new PyTypeError($"bad operand type for abs(): '{Py.TypeName(value)}'"),
                };
            case "attr":
                args.Check(name, 1, "name");
                return Evaluator.GetAttributeOnly(value, Text(args.Get(0, "name", null), "attr name"));
            case "batch":
                return Batch(ev, value, args);
            case "capitalize":
                args.Check(name, 0);
                return PyString.Capitalize(Py.Str(value));
            case "center":
                {
                    args.Check(name, 1, "width");
                    var s = Py.Str(value);
                    var width = (int)Math.Min(Py.ToLong(args.Get(0, "width", 80L)), ev.Limits.MaxOutputLength);
                    return Methods.Pad(s, width, ' ', "center");
                }
            case "count" or "length":
                args.Check(name, 0);
                return Py.Length(value);
            case "d" or "default":
                {
                    args.Check(name, 2, "default_value", "boolean");
                    var fallback = args.Get(0, "default_value", "");
                    var boolean = Py.Truthy(args.Get(1, "boolean", false));
                    return value is Undefined || (boolean && !Py.Truthy(value)) ? fallback : value;
                }
            case "dictsort":
                return DictSort(value, args);
            case "e" or "escape" or "forceescape":
                args.Check(name, 0);
                return Escape(Py.Str(value));
            case "first":
                {
                    args.Check(name, 0);
                    var items = Py.Iterate(value);
                    return items.Count > 0 ? items[0] : new Undefined("first");
                }
            case "last":
                {
                    args.Check(name, 0);
                    var items = value is PyList l ? l.Items : Py.Iterate(value);
                    return items.Count > 0 ? items[^1] : new Undefined("last");
                }
            case "float":
                args.Check(name, 1, "default");
                return ToFloat(value, args.Get(0, "default", 0.0));
            case "int":
                args.Check(name, 2, "default", "base");
                return ToInt(value, args.Get(0, "default", 0L), Py.ToLong(args.Get(1, "base", 10L)));
            case "format":
                return args.Keywords.Count > 0
                    ? throw new PyTypeError("the format filter takes positional arguments only here")
                    : PyFormat.Percent(Py.Str(value), args.Positional.Count == 1 ? args.Positional[0] : PyList.Tuple([.. args.Positional]));
            case "indent":
                return Indent(value, args);
            case "items":
                args.Check(name, 0);
                return value switch
                {
                    Undefined => PyList.Empty,
                    PyDict dict => new PyList(dict.Entries.Select(kv => (object?)PyList.Tuple(kv.Key, kv.Value)).ToList()),
                    _ => throw new PyTypeError($"can only get item pairs from a mapping, not '{Py.TypeName(value)}'"),
                };
            case "join":
                {
                    args.Check(name, 2, "d", "attribute");
                    var separator = Py.Str(args.Get(0, "d", ""));
                    var attribute = args.Get(1, "attribute", null);
                    var parts = Py.Iterate(value).Select(item => Py.Str(attribute is null ? item : Attribute(item, attribute)));
                    return ev.CheckString(string.Join(separator, parts));
                }
            case "list":
                args.Check(name, 0);
                return new PyList([.. Py.Iterate(value)]);
            case "lower":
                args.Check(name, 0);
                return Py.Str(value).ToLowerInvariant();
            case "upper":
                args.Check(name, 0);
                return Py.Str(value).ToUpperInvariant();
            case "map":
                return Map(ev, value, args);
            case "max" or "min":
                return MinMax(name, value, args);
            case "select" or "reject":
                return Select(value, args, byAttribute: false, keep: name == "select");
            case "selectattr" or "rejectattr":
                return Select(value, args, byAttribute: true, keep: name == "selectattr");
            case "replace":
                {
                    args.Check(name, 3, "old", "new", "count");
                    var s = Py.Str(value);
                    var count = args.Get(2, "count", null);
                    return PyString.Replace(s, Py.Str(args.Get(0, "old", "")), Py.Str(args.Get(1, "new", "")),
                        count is null ? -1 : Py.ToLong(count), ev.Limits.MaxOutputLength);
                }
            case "reverse":
                args.Check(name, 0);
                return value switch
                {
                    string s => string.Concat(Enumerable.Reverse(PyString.Characters(s)).Cast<string>()),
                    _ => new PyList(Enumerable.Reverse(Py.Iterate(value)).ToList()),
                };
            case "round":
                return Round(value, args);
            case "safe" or "string":
                args.Check(name, 0);
                return Py.Str(value);
            case "sort":
                return Sort(value, args);
            case "sum":
                {
                    args.Check(name, 2, "attribute", "start");
                    var attribute = args.Get(0, "attribute", null);
                    object? total = args.Get(1, "start", 0L);
                    foreach (var item in Py.Iterate(value))
                    {
                        total = Py.Add(total, attribute is null ? item : Attribute(item, attribute));
                    }
                    return total;
                }
            case "title":
                args.Check(name, 0);
                return JinjaTitle(Py.Str(value));
            case "tojson":
                return ToJson(ev, value, args);
            case "trim":
                {
                    args.Check(name, 1, "chars");
                    var chars = args.Get(0, "chars", null);
                    return PyString.Strip(Py.Str(value), chars is null ? null : Py.Str(chars));
                }
            case "truncate":
                return Truncate(value, args);
            case "unique":
                return Unique(value, args);
            case "wordcount":
                args.Check(name, 0);
                return (long)PyString.Split(Py.Str(value), null, -1).Count;
            default:
                throw new PyTypeError($"no filter named '{name}'");
        }
    }

    /// <summary>HTML escaping as markupsafe does it: <c>&amp; &lt; &gt; " '</c>.</summary>
    private static string Escape(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&#34;",
                '\'' => "&#39;",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }

    private static string Text(object? value, string what) =>
        value as string ?? throw new PyTypeError($"{what} must be a string, not '{Py.TypeName(value)}'");

    /// <summary>An item's attribute as Jinja's <c>attribute=</c> arguments read it: dotted paths, and integer
    /// parts as indices (<c>"function.name"</c>, <c>"0"</c>).</summary>
    public static object? Attribute(object? item, object? attribute)
    {
        if (Py.IsInteger(attribute))
        {
            return Evaluator.GetItem(item, attribute);
        }
        foreach (var part in Text(attribute, "attribute").Split('.'))
        {
            item = long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                ? Evaluator.GetItem(item, index)
                : Evaluator.GetItem(item, part);
        }
        return item;
    }

    private static PyList Batch(Evaluator ev, object? value, Arguments args)
    {
        args.Check("batch", 2, "linecount", "fill_with");
        var size = Py.ToLong(args.Get(0, "linecount", null));
        if (size <= 0)
        {
            throw new PyTypeError("batch size must be positive");
        }
        var fill = args.Get(1, "fill_with", null);
        var hasFill = args.Has(1, "fill_with");
        var batches = new List<object?>();
        var current = new List<object?>();
        foreach (var item in Py.Iterate(value))
        {
            current.Add(item);
            if (current.Count == size)
            {
                batches.Add(new PyList(current));
                current = [];
            }
        }
        if (current.Count > 0)
        {
            while (hasFill && current.Count < size)
            {
                current.Add(fill);
            }
            batches.Add(new PyList(current));
        }
        return ev.CheckList(new PyList(batches));
    }

    private static object SortKey(object? value, bool caseSensitive) =>
        !caseSensitive && value is string s ? s.ToLowerInvariant() : value!;

    private static PyList DictSort(object? value, Arguments args)
    {
        args.Check("dictsort", 3, "case_sensitive", "by", "reverse");
        if (value is not PyDict dict)
        {
            throw new PyTypeError($"dictsort needs a mapping, not '{Py.TypeName(value)}'");
        }
        var caseSensitive = Py.Truthy(args.Get(0, "case_sensitive", false));
        var by = args.Get(1, "by", "key") as string;
        var position = by switch
        {
            "key" => 0,
            "value" => 1,
            _ => throw new PyTypeError("You can only sort by either 'key' or 'value'"),
        };
        var reverse = Py.Truthy(args.Get(2, "reverse", false));
        var pairs = dict.Entries.Select(kv => (object?)PyList.Tuple(kv.Key, kv.Value)).ToList();
        StableSort(pairs, item => SortKey(((PyList)item!)[position], caseSensitive), reverse);
        return new PyList(pairs);
    }

    private static void StableSort(List<object?> items, Func<object?, object?> key, bool reverse)
    {
        var keyed = items.Select((item, i) => (Key: key(item), Index: i, Item: item)).ToList();
        keyed.Sort((a, b) =>
        {
            var c = Py.Compare(a.Key, b.Key, "<");
            if (reverse)
            {
                c = -c;
            }
            return c != 0 ? c : a.Index.CompareTo(b.Index);
        });
        for (var i = 0; i < items.Count; i++)
        {
            items[i] = keyed[i].Item;
        }
    }

    private static PyList Sort(object? value, Arguments args)
    {
        args.Check("sort", 3, "reverse", "case_sensitive", "attribute");
        var reverse = Py.Truthy(args.Get(0, "reverse", false));
        var caseSensitive = Py.Truthy(args.Get(1, "case_sensitive", false));
        var attribute = args.Get(2, "attribute", null);
        var items = new List<object?>(Py.Iterate(value));
        StableSort(items, item => SortKey(attribute is null ? item : Attribute(item, attribute), caseSensitive), reverse);
        return new PyList(items);
    }

    private static PyList Unique(object? value, Arguments args)
    {
        args.Check("unique", 2, "case_sensitive", "attribute");
        var caseSensitive = Py.Truthy(args.Get(0, "case_sensitive", false));
        var attribute = args.Get(1, "attribute", null);
        var seen = new List<object?>();
        var result = new List<object?>();
        foreach (var item in Py.Iterate(value))
        {
            var key = SortKey(attribute is null ? item : Attribute(item, attribute), caseSensitive);
            if (!seen.Exists(s => Py.Equal(s, key)))
            {
                seen.Add(key);
                result.Add(item);
            }
        }
        return new PyList(result);
    }

    private static object? MinMax(string name, object? value, Arguments args)
    {
        args.Check(name, 2, "case_sensitive", "attribute");
        var caseSensitive = Py.Truthy(args.Get(0, "case_sensitive", false));
        var attribute = args.Get(1, "attribute", null);
        object? best = null;
        object? bestKey = null;
        var any = false;
        foreach (var item in Py.Iterate(value))
        {
            var key = SortKey(attribute is null ? item : Attribute(item, attribute), caseSensitive);
            if (!any || (name == "max" ? Py.Compare(key, bestKey, ">") > 0 : Py.Compare(key, bestKey, "<") < 0))
            {
                (best, bestKey, any) = (item, key, true);
            }
        }
        return any ? best : new Undefined(name);
    }

    private static PyList Map(Evaluator ev, object? value, Arguments args)
    {
        // As Jinja's map, select and reject: a false value (None, empty) maps to nothing without being iterated.
        var items = Py.Truthy(value) ? Py.Iterate(value) : [];
        if (args.Positional.Count == 0 && args.Keywords.Exists(k => k.Key == "attribute"))
        {
            args.Check("map", 0, "attribute", "default");
            var attribute = args.Get(-1, "attribute", null);
            var hasDefault = args.Has(-1, "default");
            var fallback = args.Get(-1, "default", null);
            return new PyList(items.Select(item =>
            {
                var v = Attribute(item, attribute);
                return hasDefault && v is Undefined ? fallback : v;
            }).ToList());
        }
        if (args.Positional.Count == 0 || args.Positional[0] is not string filter)
        {
            throw new PyTypeError("map needs a filter name or attribute=");
        }
        if (!Names.Contains(filter))
        {
            throw new PyTypeError($"no filter named '{filter}'");
        }
        var rest = new Arguments(args.Positional.GetRange(1, args.Positional.Count - 1), args.Keywords);
        return new PyList(items.Select(item => Apply(ev, filter, item, rest)).ToList());
    }

    private static PyList Select(object? value, Arguments args, bool byAttribute, bool keep)
    {
        var positional = args.Positional;
        var offset = 0;
        object? attribute = null;
        if (byAttribute)
        {
            if (positional.Count == 0)
            {
                throw new PyTypeError("selectattr/rejectattr need an attribute name");
            }
            attribute = positional[0];
            offset = 1;
        }
        string? test = null;
        if (positional.Count > offset)
        {
            test = positional[offset] as string ?? throw new PyTypeError("a test name must be a string");
            if (!Tests.Names.Contains(test))
            {
                throw new PyTypeError($"no test named '{test}'");
            }
        }
        var testArgs = positional.Skip(offset + 1).ToList();
        var result = new List<object?>();
        foreach (var item in Py.Truthy(value) ? Py.Iterate(value) : [])
        {
            var subject = byAttribute ? Attribute(item, attribute) : item;
            var passes = test is null ? Py.Truthy(subject) : Tests.Apply(test, subject, testArgs);
            if (passes == keep)
            {
                result.Add(item);
            }
        }
        return new PyList(result);
    }

    private static object ToInt(object? value, object? fallback, long numberBase)
    {
        switch (value)
        {
            case bool or long:
                return Py.ToLong(value);
            case double d:
                return double.IsFinite(d) ? (long)Math.Truncate(d) : fallback!;
            case string s:
                var text = PyString.Strip(s, null).Replace("_", "", StringComparison.Ordinal);
                if (numberBase == 10 && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                {
                    return l;
                }
                if (numberBase == 16 && long.TryParse(text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var h))
                {
                    return h;
                }
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && double.IsFinite(f))
                {
                    return (long)Math.Truncate(f);
                }
                return fallback!;
            default:
                return fallback!;
        }
    }

    private static object ToFloat(object? value, object? fallback) => value switch
    {
        bool or long or double => Py.ToDouble(value),
        string s when double.TryParse(PyString.Strip(s, null), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => fallback!,
    };

    private static string Indent(object? value, Arguments args)
    {
        args.Check("indent", 3, "width", "first", "blank");
        var width = args.Get(0, "width", 4L);
        var indentation = width is string w ? w : new string(' ', (int)Math.Clamp(Py.ToLong(width), 0, 1 << 16));
        var first = Py.Truthy(args.Get(1, "first", false));
        var blank = Py.Truthy(args.Get(2, "blank", false));
        var s = Py.Str(value) + "\n";
        var lines = PyString.SplitLines(s).Cast<string>().ToList();
        string rv;
        if (blank)
        {
            rv = string.Join("\n" + indentation, lines);
        }
        else
        {
            rv = lines[0];
            if (lines.Count > 1)
            {
                rv += "\n" + string.Join("\n", lines.Skip(1).Select(line => line.Length > 0 ? indentation + line : line));
            }
        }
        return first ? indentation + rv : rv;
    }

    private static double Round(object? value, Arguments args)
    {
        args.Check("round", 2, "precision", "method");
        var precision = (int)Math.Clamp(Py.ToLong(args.Get(0, "precision", 0L)), -15, 15);
        var method = args.Get(1, "method", "common") as string;
        var x = Py.ToDouble(value);
        var scale = Math.Pow(10, precision);
        return method switch
        {
            "common" => precision >= 0 ? Math.Round(x, precision, MidpointRounding.ToEven) : Math.Round(x / scale, MidpointRounding.ToEven) * scale,
            "ceil" => Math.Ceiling(x * scale) / scale,
            "floor" => Math.Floor(x * scale) / scale,
            _ => throw new PyTypeError("method must be common, ceil or floor"),
        };
    }

    private static string Truncate(object? value, Arguments args)
    {
        args.Check("truncate", 4, "length", "killwords", "end", "leeway");
        var s = Py.Str(value);
        var length = (int)Math.Clamp(Py.ToLong(args.Get(0, "length", 255L)), 0, int.MaxValue);
        var killwords = Py.Truthy(args.Get(1, "killwords", false));
        var end = Py.Str(args.Get(2, "end", "..."));
        var leeway = (int)Py.ToLong(args.Get(3, "leeway", 5L) ?? 5L);
        if (s.Length <= length + leeway)
        {
            return s;
        }
        if (killwords)
        {
            return s[..Math.Max(0, length - end.Length)] + end;
        }
        var cut = s[..Math.Max(0, length - end.Length)];
        var space = cut.LastIndexOf(' ');
        return (space >= 0 ? cut[..space] : cut) + end;
    }

    /// <summary>Jinja's <c>title</c>: each word (split at spaces, dashes and opening brackets) gets an upper first
    /// letter and lower rest. Python's <c>str.title()</c> method differs (see <see cref="PyString.Title"/>).</summary>
    private static string JinjaTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        var wordStart = true;
        foreach (var c in s)
        {
            var delimiter = PyString.IsSpace(c) || c is '-' or '(' or '{' or '[' or '<';
            sb.Append(delimiter ? c : wordStart ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            wordStart = delimiter;
        }
        return sb.ToString();
    }

    private static string ToJson(Evaluator ev, object? value, Arguments args)
    {
        args.Check("tojson", 1, "indent", "separators", "sort_keys", "ensure_ascii");
        var indent = args.Get(0, "indent", null);
        var separators = args.Get(-1, "separators", null);
        string? itemSeparator = null;
        string? keySeparator = null;
        if (separators is not null)
        {
            if (separators is not PyList { Count: 2 } pair || pair[0] is not string item || pair[1] is not string key)
            {
                throw new PyTypeError("separators must be a pair of strings");
            }
            (itemSeparator, keySeparator) = (item, key);
        }
        var json = PyJson.Dumps(value, indent, itemSeparator, keySeparator,
            sortKeys: Py.Truthy(args.Get(-1, "sort_keys", false)),
            ensureAscii: Py.Truthy(args.Get(-1, "ensure_ascii", false)),
            maxLength: ev.Limits.MaxOutputLength);
        return json;
    }
}
