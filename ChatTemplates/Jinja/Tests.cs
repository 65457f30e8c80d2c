namespace ChatTemplates.Jinja;

/// <summary>Jinja's tests (<c>x is defined</c>, <c>x is not none</c>, <c>n is divisibleby(3)</c>), with Python's
/// notion of types: a bool is a number but not an integer, undefined is iterable.</summary>
internal static class Tests
{
    public static readonly HashSet<string> Names =
    [
        "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped", "even", "false", "float", "ge",
        "greaterthan", "gt", "in", "integer", "iterable", "le", "lessthan", "lower", "lt", "mapping", "ne", "none",
        "number", "odd", "sameas", "sequence", "string", "true", "undefined", "upper",
    ];

    /// <summary>Jinja tests this renderer refuses by name at parse time.</summary>
    public static readonly HashSet<string> JinjaOnly = ["filter", "test"];

    public static bool Apply(string name, object? value, List<object?> args)
    {
        object? Arg()
        {
            if (args.Count != 1)
            {
                throw new PyTypeError($"the test '{name}' takes one argument ({args.Count} given)");
            }
            return args[0];
        }
        void None()
        {
            if (args.Count != 0)
            {
                throw new PyTypeError($"the test '{name}' takes no arguments ({args.Count} given)");
            }
        }
        switch (name)
        {
            case "divisibleby": return Py.Equal(Py.Modulo(value, Arg()), 0L);
            case "eq" or "equalto": return Py.Equal(value, Arg());
            case "ne": return !Py.Equal(value, Arg());
            case "lt" or "lessthan": return Py.Compare(value, Arg(), "<") < 0;
            case "le": return Py.Compare(value, Arg(), "<=") <= 0;
            case "gt" or "greaterthan": return Py.Compare(value, Arg(), ">") > 0;
            case "ge": return Py.Compare(value, Arg(), ">=") >= 0;
            case "in": return Py.Contains(Arg(), value);
            case "sameas":
                var other = Arg();
                return value is null ? other is null : value is bool b ? other is bool c && b == c : ReferenceEquals(value, other);
        }
        None();
        return name switch
        {
            "defined" => value is not Undefined,
            "undefined" => value is Undefined,
            "none" => value is null,
            "boolean" => value is bool,
            "true" => value is true,
            "false" => value is false,
            "integer" => value is long,
            "float" => value is double,
            "number" => value is bool or long or double,
            "string" => value is string,
            "mapping" => value is PyDict,
            "iterable" => Py.IsIterable(value),
            "sequence" => value is string or PyList or PyDict or Undefined,
            "callable" => value is ICallable,
            "odd" => Py.ToLong(value) % 2 != 0,
            "even" => Py.ToLong(value) % 2 == 0,
            "lower" => IsCased(Py.Str(value), upper: false),
            "upper" => IsCased(Py.Str(value), upper: true),
            "escaped" => false,
            _ => throw new PyTypeError($"no test named '{name}'"),
        };
    }

    /// <summary>Python's <c>str.islower()</c>/<c>isupper()</c>: at least one cased letter, all of one case.</summary>
    public static bool IsCased(string s, bool upper)
    {
        var cased = false;
        foreach (var c in s)
        {
            if (char.IsUpper(c))
            {
                if (!upper)
                {
                    return false;
                }
                cased = true;
            }
            else if (char.IsLower(c))
            {
                if (upper)
                {
                    return false;
                }
                cased = true;
            }
        }
        return cased;
    }
}
