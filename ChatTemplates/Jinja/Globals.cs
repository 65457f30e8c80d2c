namespace ChatTemplates.Jinja;

/// <summary>The functions a template can call: Jinja's <c>range</c>, <c>dict</c> and <c>namespace</c>, and
/// Hugging Face's <c>raise_exception</c> and <c>strftime_now</c>.</summary>
internal static class Globals
{
    /// <summary>Jinja's sandbox (which Hugging Face renders in) refuses longer ranges: MAX_RANGE.</summary>
    public const int MaxRange = 100_000;

    public static readonly HashSet<string> Names = ["range", "dict", "namespace", "raise_exception", "strftime_now"];

    /// <summary>Jinja globals refused by name at parse time.</summary>
    public static readonly HashSet<string> Unsupported = ["lipsum", "cycler", "joiner"];

    public static Scope CreateScope()
    {
        var scope = new Scope(null);
        scope.Set("range", new BuiltinFunction("range", (ev, args, _) => Range(ev, args)));
        scope.Set("dict", new BuiltinFunction("dict", (_, args, _) => Dict(args)));
        scope.Set("namespace", new BuiltinFunction("namespace", (_, args, _) => MakeNamespace(args)));
        scope.Set("raise_exception", new BuiltinFunction("raise_exception", (_, args, site) =>
            throw new TemplateRaisedException(Py.Str(args.Get(0, "message", "")), site.Line, site.Column)));
        scope.Set("strftime_now", new BuiltinFunction("strftime_now", (ev, args, _) =>
        {
            args.Check("strftime_now", 1, "format");
            var format = args.Get(0, "format", null) as string ?? throw new PyTypeError("strftime_now needs a format string");
            return PyFormat.Strftime(format, ev.Clock.GetLocalNow());
        }));
        return scope;
    }

    private static PyList Range(Evaluator ev, Arguments args)
    {
        args.Check("range", 3);
        long start = 0, stop, step = 1;
        switch (args.Positional.Count)
        {
            case 1:
                stop = Py.ToLong(args.Positional[0]);
                break;
            case 2 or 3:
                start = Py.ToLong(args.Positional[0]);
                stop = Py.ToLong(args.Positional[1]);
                if (args.Positional.Count == 3)
                {
                    step = Py.ToLong(args.Positional[2]);
                }
                break;
            default:
                throw new PyTypeError("range expected at least 1 argument, got 0");
        }
        if (step == 0)
        {
            throw new PyTypeError("range() arg 3 must not be zero");
        }
        var count = step > 0
            ? (stop > start ? ((stop - start - 1) / step) + 1 : 0)
            : (start > stop ? ((start - stop - 1) / -step) + 1 : 0);
        var max = Math.Min(MaxRange, ev.Limits.MaxCollectionLength);
        if (count > max)
        {
            throw new TemplateLimitException($"range() of {count} items: the sandbox blocks ranges larger than {max}");
        }
        var items = new List<object?>((int)count);
        for (long i = 0, v = start; i < count; i++, v += step)
        {
            items.Add(v);
        }
        return new PyList(items);
    }

    private static PyDict Dict(Arguments args)
    {
        var dict = new PyDict();
        if (args.Positional.Count > 1)
        {
            throw new PyTypeError($"dict expected at most 1 argument, got {args.Positional.Count}");
        }
        if (args.Positional.Count == 1)
        {
            CopyInto(dict, args.Positional[0]);
        }
        foreach (var kv in args.Keywords)
        {
            dict.Set(kv.Key, kv.Value);
        }
        return dict;
    }

    private static void CopyInto(PyDict dict, object? source)
    {
        switch (source)
        {
            case PyDict other:
                foreach (var kv in other.Entries)
                {
                    dict.Set(kv.Key, kv.Value);
                }
                break;
            case PyList pairs:
                foreach (var pair in pairs)
                {
                    if (pair is not PyList { Count: 2 } kv || kv[0] is null)
                    {
                        throw new PyTypeError("dictionary update sequence element has the wrong length");
                    }
                    dict.Set(kv[0]!, kv[1]);
                }
                break;
            default:
                throw new PyTypeError($"'{Py.TypeName(source)}' object is not iterable");
        }
    }

    private static Namespace MakeNamespace(Arguments args)
    {
        var ns = new Namespace();
        if (args.Positional.Count > 1)
        {
            throw new PyTypeError("namespace() takes at most one positional argument");
        }
        if (args.Positional.Count == 1)
        {
            CopyInto(ns.Attributes, args.Positional[0]);
        }
        foreach (var kv in args.Keywords)
        {
            ns.Attributes.Set(kv.Key, kv.Value);
        }
        return ns;
    }
}
