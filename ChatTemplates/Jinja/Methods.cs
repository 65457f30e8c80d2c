namespace ChatTemplates.Jinja;

/// <summary>
/// The methods of str, dict and list values that templates call (<c>content.strip()</c>,
/// <c>message.get('name')</c>, <c>tools.items()</c>). Methods that change a list or dict in place are known by
/// name but refused when called, as Hugging Face's immutable sandbox refuses them.
/// </summary>
internal static class Methods
{
    private static readonly HashSet<string> StrMethods =
    [
        "capitalize", "center", "count", "endswith", "find", "format", "index", "isalnum", "isalpha", "isdecimal",
        "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip",
        "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit",
        "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title", "upper", "zfill",
    ];

    private static readonly HashSet<string> DictMethods = ["copy", "get", "items", "keys", "values"];

    private static readonly HashSet<string> DictMutators = ["clear", "pop", "popitem", "setdefault", "update"];

    private static readonly HashSet<string> ListMethods = ["copy", "count", "index"];

    private static readonly HashSet<string> ListMutators = ["append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"];

    /// <summary>Every method name a template may call; a call of any other <c>x.name()</c> is refused at parse
    /// time. <c>cycle</c> is <c>loop.cycle</c>.</summary>
    public static readonly HashSet<string> Names =
        [.. StrMethods, .. DictMethods, .. DictMutators, .. ListMethods, .. ListMutators, "cycle"];

    public static bool IsMethodOf(object target, string name) => target switch
    {
        string => StrMethods.Contains(name),
        PyDict => DictMethods.Contains(name) || DictMutators.Contains(name),
        PyList => ListMethods.Contains(name) || ListMutators.Contains(name),
        _ => false,
    };

    public static object? Invoke(Evaluator ev, object target, string name, Arguments args) => target switch
    {
        string s => Str(ev, s, name, args),
        PyDict d => Dict(d, name, args),
        PyList l => List(l, name, args),
        _ => throw new PyTypeError($"'{Py.TypeName(target)}' object has no method '{name}'"),
    };

    private static string? OptionalText(object? value, string what) => value switch
    {
        null => null,
        string s => s,
        _ => throw new PyTypeError($"{what} must be None or a string, not '{Py.TypeName(value)}'"),
    };

    private static string Text(object? value, string what) =>
        value as string ?? throw new PyTypeError($"{what} must be a string, not '{Py.TypeName(value)}'");

    private static object? Dict(PyDict dict, string name, Arguments args)
    {
        switch (name)
        {
            case "items":
                args.Check("dict.items", 0);
                return new PyList(dict.Entries.Select(kv => (object?)PyList.Tuple(kv.Key, kv.Value)).ToList());
            case "keys":
                args.Check("dict.keys", 0);
                return new PyList([.. dict.Keys]);
            case "values":
                args.Check("dict.values", 0);
                return new PyList([.. dict.Values]);
            case "get":
                args.Check("dict.get", 2);
                if (args.Positional.Count == 0)
                {
                    throw new PyTypeError("get expected at least 1 argument, got 0");
                }
                var key = args.Positional[0];
                return key is not null && PyKeyComparer.IsHashable(key) && dict.TryGetValue(key, out var value)
                    ? value
                    : args.Positional.Count > 1 ? args.Positional[1] : null;
            case "copy":
                args.Check("dict.copy", 0);
                var copy = new PyDict();
                foreach (var kv in dict.Entries)
                {
                    copy.Set(kv.Key, kv.Value);
                }
                return copy;
            default:
                throw new PyTypeError($"dict.{name}() would change the dict: the sandbox refuses it");
        }
    }

    private static object? List(PyList list, string name, Arguments args)
    {
        switch (name)
        {
            case "count":
                args.Check("list.count", 1);
                return (long)list.Items.Count(x => Py.Equal(x, args.Get(0, "", null)));
            case "index":
                args.Check("list.index", 1);
                var at = list.Items.FindIndex(x => Py.Equal(x, args.Get(0, "", null)));
                return at >= 0 ? at : throw new PyTypeError($"{Py.Repr(args.Get(0, "", null))} is not in list");
            case "copy":
                args.Check("list.copy", 0);
                return new PyList([.. list.Items], list.IsTuple);
            default:
                throw new PyTypeError($"list.{name}() would change the list: the sandbox refuses it");
        }
    }

    private static (int Start, int End) Range(string s, Arguments args, int first)
    {
        var length = s.Length;
        int Bound(object? v, int whenNone)
        {
            if (v is null)
            {
                return whenNone;
            }
            var i = Py.ToLong(v);
            if (i < 0)
            {
                i += length;
            }
            return (int)Math.Clamp(i, 0, length);
        }
        return (Bound(args.Get(first, "start", null), 0), Bound(args.Get(first + 1, "end", null), length));
    }

    private static bool Affix(string s, object? affix, Arguments args, bool prefix)
    {
        var (start, end) = Range(s, args, 1);
        if (start > end)
        {
            return false;
        }
        var part = s[start..end];
        IEnumerable<object?> candidates = affix is PyList { IsTuple: true } tuple ? tuple.Items : [affix];
        foreach (var candidate in candidates)
        {
            var text = candidate as string
                ?? throw new PyTypeError($"{(prefix ? "startswith" : "endswith")} first arg must be str or a tuple of str, not {Py.TypeName(candidate)}");
            if (prefix ? part.StartsWith(text, StringComparison.Ordinal) : part.EndsWith(text, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    public static string Pad(string s, int width, char fill, string how)
    {
        var length = (int)PyString.Length(s);
        if (width <= length)
        {
            return s;
        }
        var total = width - length;
        return how switch
        {
            "ljust" => s + new string(fill, total),
            "rjust" => new string(fill, total) + s,
            // Python's str.center: the odd character goes left when the width is odd.
            _ => new string(fill, (total / 2) + (total & width & 1)) + s + new string(fill, total - ((total / 2) + (total & width & 1))),
        };
    }

    private static object? Str(Evaluator ev, string s, string name, Arguments args)
    {
        switch (name)
        {
            case "strip" or "lstrip" or "rstrip":
                {
                    args.Check("str." + name, 1, "chars");
                    var chars = OptionalText(args.Get(0, "chars", null), "chars");
                    return name switch
                    {
                        "strip" => PyString.Strip(s, chars),
                        "lstrip" => PyString.LStrip(s, chars),
                        _ => PyString.RStrip(s, chars),
                    };
                }
            case "split" or "rsplit":
                {
                    args.Check("str." + name, 2, "sep", "maxsplit");
                    var sep = OptionalText(args.Get(0, "sep", null), "sep");
                    var max = Py.ToLong(args.Get(1, "maxsplit", -1L));
                    return ev.CheckList(new PyList(name == "split" ? PyString.Split(s, sep, max) : PyString.RSplit(s, sep, max)));
                }
            case "splitlines":
                args.Check("str.splitlines", 1, "keepends");
                return new PyList(PyString.SplitLines(s, Py.Truthy(args.Get(0, "keepends", false))));
            case "startswith" or "endswith":
                args.Check("str." + name, 3);
                return Affix(s, args.Get(0, "", null), args, prefix: name == "startswith");
            case "replace":
                {
                    args.Check("str.replace", 3, "count");
                    var count = args.Get(2, "count", -1L);
                    return PyString.Replace(s, Text(args.Get(0, "", null), "old"), Text(args.Get(1, "", null), "new"),
                        Py.ToLong(count), ev.Limits.MaxOutputLength);
                }
            case "upper":
                args.Check("str.upper", 0);
                return s.ToUpperInvariant();
            case "lower":
                args.Check("str.lower", 0);
                return s.ToLowerInvariant();
            case "title":
                args.Check("str.title", 0);
                return PyString.Title(s);
            case "capitalize":
                args.Check("str.capitalize", 0);
                return PyString.Capitalize(s);
            case "swapcase":
                args.Check("str.swapcase", 0);
                return string.Concat(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)));
            case "find" or "rfind" or "index" or "rindex":
                {
                    args.Check("str." + name, 3);
                    var sub = Text(args.Get(0, "", null), "sub");
                    var (start, end) = Range(s, args, 1);
                    var at = -1;
                    if (start <= end)
                    {
                        var part = s[start..end];
                        at = name is "find" or "index" ? part.IndexOf(sub, StringComparison.Ordinal) : part.LastIndexOf(sub, StringComparison.Ordinal);
                        if (at >= 0)
                        {
                            at += start;
                        }
                    }
                    if (at < 0 && name is "index" or "rindex")
                    {
                        throw new PyTypeError("substring not found");
                    }
                    return PyString.CodePointIndex(s, at);
                }
            case "count":
                {
                    args.Check("str.count", 3);
                    var sub = Text(args.Get(0, "", null), "sub");
                    var (start, end) = Range(s, args, 1);
                    if (start > end)
                    {
                        return 0L;
                    }
                    var part = s[start..end];
                    if (sub.Length == 0)
                    {
                        return PyString.Length(part) + 1;
                    }
                    long n = 0;
                    for (var i = part.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = part.IndexOf(sub, i + sub.Length, StringComparison.Ordinal))
                    {
                        n++;
                    }
                    return n;
                }
            case "join":
                args.Check("str.join", 1);
                return ev.CheckString(string.Join(s, Py.Iterate(args.Get(0, "", null)).Select(item =>
                    item as string ?? throw new PyTypeError($"sequence item: expected str instance, {Py.TypeName(item)} found"))));
            case "format":
                return ev.CheckString(PyFormat.StrFormat(s, args));
            case "isdigit" or "isdecimal" or "isnumeric":
                args.Check("str." + name, 0);
                return s.Length > 0 && s.All(char.IsDigit);
            case "isalpha":
                args.Check("str.isalpha", 0);
                return s.Length > 0 && s.All(char.IsLetter);
            case "isalnum":
                args.Check("str.isalnum", 0);
                return s.Length > 0 && s.All(char.IsLetterOrDigit);
            case "isspace":
                args.Check("str.isspace", 0);
                return s.Length > 0 && s.All(PyString.IsSpace);
            case "islower":
                args.Check("str.islower", 0);
                return Tests.IsCased(s, upper: false);
            case "isupper":
                args.Check("str.isupper", 0);
                return Tests.IsCased(s, upper: true);
            case "istitle":
                args.Check("str.istitle", 0);
                return s.Any(char.IsLetter) && PyString.Title(s) == s;
            case "ljust" or "rjust" or "center":
                {
                    args.Check("str." + name, 2);
                    var width = (int)Math.Min(Py.ToLong(args.Get(0, "", 0L)), ev.Limits.MaxOutputLength);
                    var fill = Text(args.Get(1, "", " "), "fillchar");
                    if (fill.Length != 1)
                    {
                        throw new PyTypeError("The fill character must be exactly one character long");
                    }
                    return Pad(s, width, fill[0], name);
                }
            case "zfill":
                {
                    args.Check("str.zfill", 1);
                    var width = (int)Math.Min(Py.ToLong(args.Get(0, "", 0L)), ev.Limits.MaxOutputLength);
                    var sign = s.Length > 0 && s[0] is '+' or '-' ? s[..1] : "";
                    var digits = s[sign.Length..];
                    return sign + Pad(digits, width - sign.Length, '0', "rjust");
                }
            case "removeprefix":
                {
                    args.Check("str.removeprefix", 1);
                    var prefix = Text(args.Get(0, "", null), "prefix");
                    return s.StartsWith(prefix, StringComparison.Ordinal) ? s[prefix.Length..] : s;
                }
            case "removesuffix":
                {
                    args.Check("str.removesuffix", 1);
                    var suffix = Text(args.Get(0, "", null), "suffix");
                    return suffix.Length > 0 && s.EndsWith(suffix, StringComparison.Ordinal) ? s[..^suffix.Length] : s;
                }
            case "partition" or "rpartition":
                {
                    args.Check("str." + name, 1);
                    var sep = Text(args.Get(0, "", null), "sep");
                    if (sep.Length == 0)
                    {
                        throw new PyTypeError("empty separator");
                    }
                    var at = name == "partition" ? s.IndexOf(sep, StringComparison.Ordinal) : s.LastIndexOf(sep, StringComparison.Ordinal);
                    return at < 0
                        ? name == "partition" ? PyList.Tuple(s, "", "") : PyList.Tuple("", "", s)
                        : PyList.Tuple(s[..at], sep, s[(at + sep.Length)..]);
                }
            default:
                throw new PyTypeError($"'str' object has no method '{name}'");
        }
    }
}
