using System.Globalization;
using System.Text;

namespace ChatTemplates.Jinja;

/// <summary>Python's semantics for the runtime values: truth, str(), repr(), ==, &lt;, iteration, len(), arithmetic.</summary>
internal static class Py
{
    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        PyList { IsTuple: true } => "tuple",
        PyList => "list",
        PyDict => "dict",
        Namespace => "Namespace",
        LoopContext => "LoopContext",
        ICallable => "function",
        _ => v.GetType().Name,
    };

    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        PyList list => list.Count > 0,
        PyDict dict => dict.Count > 0,
        _ => true,
    };

    public static bool IsNumber(object? v) => v is bool or long or double;

    public static bool IsInteger(object? v) => v is bool or long;

    public static double ToDouble(object? v) => v switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        double d => d,
        _ => throw new PyTypeError($"expected a number, got {TypeName(v)}"),
    };

    public static long ToLong(object? v) => v switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        _ => throw new PyTypeError($"'{TypeName(v)}' object cannot be interpreted as an integer"),
    };

    /// <summary>Python's <c>str(v)</c>, as <c>{{ v }}</c> prints it; undefined prints as nothing.</summary>
    public static string Str(object? v) => v switch
    {
        string s => s,
        Undefined => "",
        _ => Repr(v),
    };

    /// <summary>Python's <c>repr(v)</c>: how a value prints inside a list or dict.</summary>
    public static string Repr(object? v)
    {
        var sb = new StringBuilder();
        AppendRepr(sb, v, 0);
        return sb.ToString();
    }

    private static void AppendRepr(StringBuilder sb, object? v, int depth)
    {
        if (depth > 200)
        {
            throw new PyTypeError("maximum recursion depth exceeded while printing a value");
        }
        switch (v)
        {
            case null: sb.Append("None"); break;
            case Undefined: sb.Append("Undefined"); break;
            case bool b: sb.Append(b ? "True" : "False"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(FloatRepr(d)); break;
            case string s: PyString.AppendRepr(sb, s); break;
            case PyList list:
                sb.Append(list.IsTuple ? '(' : '[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }
                    AppendRepr(sb, list[i], depth + 1);
                }
                if (list.IsTuple && list.Count == 1)
                {
                    sb.Append(',');
                }
                sb.Append(list.IsTuple ? ')' : ']');
                break;
            case PyDict dict:
                sb.Append('{');
                var first = true;
                foreach (var kv in dict.Entries)
                {
                    if (!first)
                    {
                        sb.Append(", ");
                    }
                    first = false;
                    AppendRepr(sb, kv.Key, depth + 1);
                    sb.Append(": ");
                    AppendRepr(sb, kv.Value, depth + 1);
                }
                sb.Append('}');
                break;
            case Namespace ns:
                sb.Append("<Namespace ");
                AppendRepr(sb, ns.Attributes, depth + 1);
                sb.Append('>');
                break;
            case LoopContext loop:
                sb.Append("<LoopContext ").Append(loop.Index0 + 1).Append('/').Append(loop.Length).Append('>');
                break;
            case ICallable f: sb.Append("<function ").Append(f.Name).Append('>'); break;
            default: sb.Append(v); break;
        }
    }

    /// <summary>Python's <c>repr(float)</c>: the shortest digits that read back to the same double, in fixed
    /// notation for exponents −4 to 15 and scientific (<c>1e+16</c>, <c>1.5e-05</c>) otherwise.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d))
        {
            return "nan";
        }
        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0)
        {
            return double.IsNegative(d) ? "-0.0" : "0.0";
        }
        var r = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        var e = r.IndexOf('E', StringComparison.Ordinal);
        var mantissa = e < 0 ? r : r[..e];
        var exponent = e < 0 ? 0 : int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.', StringComparison.Ordinal);
        var digits = point < 0 ? mantissa : mantissa.Remove(point, 1);
        var decimalPoint = (point < 0 ? mantissa.Length : point) + exponent;
        var lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0')
        {
            lead++;
        }
        digits = digits[lead..].TrimEnd('0');
        decimalPoint -= lead;
        if (digits.Length == 0)
        {
            digits = "0";
        }
        var exp10 = decimalPoint - 1;
        var sb = new StringBuilder();
        if (d < 0)
        {
            sb.Append('-');
        }
        if (exp10 is >= -4 and < 16)
        {
            if (decimalPoint <= 0)
            {
                sb.Append("0.").Append('0', -decimalPoint).Append(digits);
            }
            else if (decimalPoint >= digits.Length)
            {
                sb.Append(digits).Append('0', decimalPoint - digits.Length).Append(".0");
            }
            else
            {
                sb.Append(digits, 0, decimalPoint).Append('.').Append(digits, decimalPoint, digits.Length - decimalPoint);
            }
        }
        else
        {
            sb.Append(digits[0]);
            if (digits.Length > 1)
            {
                sb.Append('.').Append(digits, 1, digits.Length - 1);
            }
            sb.Append('e').Append(exp10 < 0 ? '-' : '+').Append(Math.Abs(exp10).ToString("00", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    public static bool Equal(object? a, object? b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }
        switch (a)
        {
            case null: return b is null;
            case Undefined: return b is Undefined;
            case string s: return b is string t && string.Equals(s, t, StringComparison.Ordinal);
            case bool or long or double when IsNumber(b):
                if (IsInteger(a) && IsInteger(b))
                {
                    return ToLong(a) == ToLong(b);
                }
                return ToDouble(a) == ToDouble(b);
            case PyList x when b is PyList y:
                if (x.IsTuple != y.IsTuple || x.Count != y.Count)
                {
                    return false;
                }
                for (var i = 0; i < x.Count; i++)
                {
                    if (!Equal(x[i], y[i]))
                    {
                        return false;
                    }
                }
                return true;
            case PyDict x when b is PyDict y:
                if (x.Count != y.Count)
                {
                    return false;
                }
                foreach (var kv in x.Entries)
                {
                    if (!y.TryGetValue(kv.Key, out var other) || !Equal(kv.Value, other))
                    {
                        return false;
                    }
                }
                return true;
            default: return false;
        }
    }

    /// <summary>Python's ordering: numbers with numbers, strings by code point, lists and tuples item by item.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            if (IsInteger(a) && IsInteger(b))
            {
                return ToLong(a).CompareTo(ToLong(b));
            }
            var x = ToDouble(a);
            var y = ToDouble(b);
            return x < y ? -1 : x > y ? 1 : 0;
        }
        if (a is string s && b is string t)
        {
            return PyString.CompareCodePoints(s, t);
        }
        if (a is PyList p && b is PyList q && p.IsTuple == q.IsTuple)
        {
            for (var i = 0; i < Math.Min(p.Count, q.Count); i++)
            {
                if (!Equal(p[i], q[i]))
                {
                    return Compare(p[i], q[i], op);
                }
            }
            return p.Count.CompareTo(q.Count);
        }
        throw new PyTypeError($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    /// <summary>The items a for loop sees: a list's items, a dict's keys, a string's characters; nothing for
    /// undefined.</summary>
    public static IReadOnlyList<object?> Iterate(object? v) => v switch
    {
        PyList list => list.Items,
        PyDict dict => [.. dict.Keys],
        string s => PyString.Characters(s),
        Undefined => [],
        _ => throw new PyTypeError($"'{TypeName(v)}' object is not iterable"),
    };

    public static bool IsIterable(object? v) => v is PyList or PyDict or string or Undefined;

    public static long Length(object? v) => v switch
    {
        string s => PyString.Length(s),
        PyList list => list.Count,
        PyDict dict => dict.Count,
        Namespace ns => ns.Attributes.Count,
        Undefined => 0,
        _ => throw new PyTypeError($"object of type '{TypeName(v)}' has no len()"),
    };

    public static bool Contains(object? container, object? item) => container switch
    {
        string s => item is string t
            ? s.Contains(t, StringComparison.Ordinal)
            : throw new PyTypeError($"'in <string>' requires string as left operand, not {TypeName(item)}"),
        PyList list => list.Items.Exists(x => Equal(x, item)),
        PyDict dict => PyKeyComparer.IsHashable(item)
            ? item is not null && dict.ContainsKey(item)
                || item is null && dict.Entries.Any(kv => kv.Key is null)
            : throw new PyTypeError($"unhashable type: '{TypeName(item)}'"),
        Undefined => false,
        _ => throw new PyTypeError($"argument of type '{TypeName(container)}' is not iterable"),
    };

    private static PyTypeError Unsupported(string op, object? a, object? b) =>
        new($"unsupported operand type(s) for {op}: '{TypeName(a)}' and '{TypeName(b)}'");

    public static object Add(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            return IsInteger(a) && IsInteger(b) ? (object)checked(ToLong(a) + ToLong(b)) : ToDouble(a) + ToDouble(b);
        }
        if (a is string s)
        {
            return b is string t ? string.Concat(s, t) : throw new PyTypeError($"can only concatenate str (not \"{TypeName(b)}\") to str");
        }
        if (a is PyList x && b is PyList y && x.IsTuple == y.IsTuple)
        {
            return new PyList([.. x.Items, .. y.Items], x.IsTuple);
        }
        throw Unsupported("+", a, b);
    }

    public static object Subtract(object? a, object? b) =>
        IsNumber(a) && IsNumber(b)
            ? IsInteger(a) && IsInteger(b) ? (object)checked(ToLong(a) - ToLong(b)) : ToDouble(a) - ToDouble(b)
            : throw Unsupported("-", a, b);

    public static object Multiply(object? a, object? b, int maxLength)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            return IsInteger(a) && IsInteger(b) ? (object)checked(ToLong(a) * ToLong(b)) : ToDouble(a) * ToDouble(b);
        }
        if (IsInteger(a) && b is string or PyList)
        {
            (a, b) = (b, a);
        }
        if (a is string s && IsInteger(b))
        {
            var n = Math.Max(0, ToLong(b));
            if (n * s.Length > maxLength)
            {
                throw new TemplateLimitException($"A string of {n * s.Length} characters would pass the limit of {maxLength}");
            }
            return new StringBuilder().Insert(0, s, (int)n).ToString();
        }
        if (a is PyList list && IsInteger(b))
        {
            var n = Math.Max(0, ToLong(b));
            if (n * list.Count > maxLength)
            {
                throw new TemplateLimitException($"A list of {n * list.Count} items would pass the limit of {maxLength}");
            }
            var items = new List<object?>((int)(n * list.Count));
            for (var i = 0; i < n; i++)
            {
                items.AddRange(list.Items);
            }
            return new PyList(items, list.IsTuple);
        }
        throw Unsupported("*", a, b);
    }

    public static object Divide(object? a, object? b)
    {
        if (!IsNumber(a) || !IsNumber(b))
        {
            throw Unsupported("/", a, b);
        }
        var y = ToDouble(b);
        return y == 0 ? throw new PyTypeError("division by zero") : ToDouble(a) / y;
    }

    public static object FloorDivide(object? a, object? b)
    {
        if (!IsNumber(a) || !IsNumber(b))
        {
            throw Unsupported("//", a, b);
        }
        if (IsInteger(a) && IsInteger(b))
        {
            var (x, y) = (ToLong(a), ToLong(b));
            if (y == 0)
            {
                throw new PyTypeError("integer division or modulo by zero");
            }
            var q = x / y;
            return (x % y != 0) && ((x < 0) != (y < 0)) ? q - 1 : q;
        }
        var d = ToDouble(b);
        return d == 0 ? throw new PyTypeError("float floor division by zero") : Math.Floor(ToDouble(a) / d);
    }

    public static object Modulo(object? a, object? b)
    {
        if (!IsNumber(a) || !IsNumber(b))
        {
            throw Unsupported("%", a, b);
        }
        if (IsInteger(a) && IsInteger(b))
        {
            var (x, y) = (ToLong(a), ToLong(b));
            if (y == 0)
            {
                throw new PyTypeError("integer division or modulo by zero");
            }
            var r = x % y;
            return r != 0 && ((r < 0) != (y < 0)) ? r + y : r;
        }
        var (p, q) = (ToDouble(a), ToDouble(b));
        if (q == 0)
        {
            throw new PyTypeError("float modulo");
        }
        var m = p - (q * Math.Floor(p / q));
        return m;
    }

    public static object Power(object? a, object? b)
    {
        if (!IsNumber(a) || !IsNumber(b))
        {
            throw Unsupported("**", a, b);
        }
        if (IsInteger(a) && IsInteger(b) && ToLong(b) >= 0)
        {
            var (x, n) = (ToLong(a), ToLong(b));
            long result = 1;
            for (long i = 0; i < n; i++)
            {
                result = checked(result * x);
                if (result is 0 or 1 && (x is 0 or 1))
                {
                    break;
                }
                if (x == -1)
                {
                    result = n % 2 == 0 ? 1 : -1;
                    break;
                }
            }
            return result;
        }
        return Math.Pow(ToDouble(a), ToDouble(b));
    }

    public static object Negate(object? v) => v switch
    {
        bool or long => (object)checked(-ToLong(v)),
        double d => -d,
        _ => throw new PyTypeError($"bad operand type for unary -: '{TypeName(v)}'"),
    };

    public static object Plus(object? v) => v switch
    {
        bool or long => (object)ToLong(v),
        double d => d,
        _ => throw new PyTypeError($"bad operand type for unary +: '{TypeName(v)}'"),
    };
}
