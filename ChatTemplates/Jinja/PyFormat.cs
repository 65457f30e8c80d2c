using System.Globalization;
using System.Text;

namespace ChatTemplates.Jinja;

/// <summary>Python's string formatting as templates use it: <c>"%s" % x</c> and the <c>format</c> filter,
/// <c>str.format</c>, and <c>datetime.strftime</c> in the C locale for <c>strftime_now</c>.</summary>
internal static class PyFormat
{
    private static readonly string[] Months =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    private static readonly string[] Days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

    /// <summary><c>format % args</c>: <c>%s %r %d %i %f %x %X %c %%</c> with flags, width and precision; a
    /// tuple gives several arguments, a dict feeds <c>%(name)s</c>.</summary>
    public static string Percent(string format, object? args)
    {
        var positional = args is PyList { IsTuple: true } tuple ? tuple.Items : [args];
        var mapping = args as PyDict;
        var next = 0;
        var sb = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c != '%')
            {
                sb.Append(c);
                continue;
            }
            if (++i >= format.Length)
            {
                throw new PyTypeError("incomplete format");
            }
            object? value = null;
            var named = false;
            if (format[i] == '(')
            {
                var close = format.IndexOf(')', i);
                if (close < 0 || mapping is null)
                {
                    throw new PyTypeError("format requires a mapping");
                }
                value = mapping.TryGetValue(format[(i + 1)..close], out var v) ? v : throw new PyTypeError($"KeyError: '{format[(i + 1)..close]}'");
                named = true;
                i = close + 1;
            }
            var flags = "";
            while (i < format.Length && format[i] is '-' or '+' or ' ' or '0' or '#')
            {
                flags += format[i++];
            }
            var width = 0;
            while (i < format.Length && char.IsAsciiDigit(format[i]))
            {
                width = Math.Min((width * 10) + (format[i++] - '0'), 1 << 16);
            }
            int? precision = null;
            if (i < format.Length && format[i] == '.')
            {
                i++;
                precision = 0;
                while (i < format.Length && char.IsAsciiDigit(format[i]))
                {
                    precision = Math.Min((precision.Value * 10) + (format[i++] - '0'), 100);
                }
            }
            if (i >= format.Length)
            {
                throw new PyTypeError("incomplete format");
            }
            var conversion = format[i];
            if (conversion == '%')
            {
                sb.Append('%');
                continue;
            }
            if (!named)
            {
                if (mapping is not null && args is PyDict)
                {
                    value = args;
                }
                else if (next < positional.Count)
                {
                    value = positional[next++];
                }
                else
                {
                    throw new PyTypeError("not enough arguments for format string");
                }
            }
            var text = conversion switch
            {
                's' => Py.Str(value),
                'r' or 'a' => Py.Repr(value),
                'd' or 'i' or 'u' => Signed(value is double d ? (long)Math.Truncate(d) : Py.ToLong(value), flags),
                'f' or 'F' => Signed(Py.ToDouble(value), precision ?? 6, flags),
                'x' => Py.ToLong(value).ToString("x", CultureInfo.InvariantCulture),
                'X' => Py.ToLong(value).ToString("X", CultureInfo.InvariantCulture),
                'c' => value is string cs ? cs : char.ConvertFromUtf32((int)Py.ToLong(value)),
                _ => throw new PyTypeError($"unsupported format character '{conversion}'"),
            };
            if (conversion is 's' or 'r' or 'a' && precision is int p && p < text.Length)
            {
                text = text[..p];
            }
            if (text.Length < width)
            {
                var zero = flags.Contains('0', StringComparison.Ordinal) && !flags.Contains('-', StringComparison.Ordinal) && conversion is not ('s' or 'r' or 'a' or 'c');
                if (flags.Contains('-', StringComparison.Ordinal))
                {
                    text = text.PadRight(width);
                }
                else if (zero)
                {
                    var sign = text.Length > 0 && text[0] is '-' or '+' or ' ' ? text[..1] : "";
                    text = sign + text[sign.Length..].PadLeft(width - sign.Length, '0');
                }
                else
                {
                    text = text.PadLeft(width);
                }
            }
            sb.Append(text);
        }
        if (mapping is null && next < positional.Count)
        {
            throw new PyTypeError("not all arguments converted during string formatting");
        }
        return sb.ToString();
    }

    private static string Signed(long value, string flags) =>
        (value >= 0 && flags.Contains('+', StringComparison.Ordinal) ? "+" : value >= 0 && flags.Contains(' ', StringComparison.Ordinal) ? " " : "")
        + value.ToString(CultureInfo.InvariantCulture);

    private static string Signed(double value, int precision, string flags) =>
        (value >= 0 && flags.Contains('+', StringComparison.Ordinal) ? "+" : value >= 0 && flags.Contains(' ', StringComparison.Ordinal) ? " " : "")
        + FixedPoint(value, precision);

    private static string FixedPoint(double value, int precision) =>
        double.IsNaN(value) ? "nan" : double.IsInfinity(value) ? (value > 0 ? "inf" : "-inf")
        : value.ToString("F" + precision.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary><c>str.format(*args, **kwargs)</c>: <c>{}</c>, <c>{0}</c>, <c>{name}</c>, <c>{0[key]}</c>,
    /// <c>{0.attr}</c>, <c>!r</c>/<c>!s</c>, and a format spec of fill, alignment, sign, width, precision and type
    /// <c>s d f %</c>.</summary>
    public static string StrFormat(string format, Arguments args)
    {
        var sb = new StringBuilder();
        var auto = 0;
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c == '}')
            {
                if (i + 1 < format.Length && format[i + 1] == '}')
                {
                    sb.Append('}');
                    i++;
                    continue;
                }
                throw new PyTypeError("Single '}' encountered in format string");
            }
            if (c != '{')
            {
                sb.Append(c);
                continue;
            }
            if (i + 1 < format.Length && format[i + 1] == '{')
            {
                sb.Append('{');
                i++;
                continue;
            }
            var close = format.IndexOf('}', i);
            if (close < 0)
            {
                throw new PyTypeError("Single '{' encountered in format string");
            }
            var field = format[(i + 1)..close];
            i = close;
            string? spec = null;
            var colon = field.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0)
            {
                spec = field[(colon + 1)..];
                field = field[..colon];
            }
            char? conversion = null;
            var bang = field.IndexOf('!', StringComparison.Ordinal);
            if (bang >= 0)
            {
                conversion = bang + 1 < field.Length ? field[bang + 1] : throw new PyTypeError("end of string while looking for conversion specifier");
                field = field[..bang];
            }
            var nameEnd = field.IndexOfAny(['.', '[']);
            var head = nameEnd < 0 ? field : field[..nameEnd];
            object? value;
            if (head.Length == 0)
            {
                value = auto < args.Positional.Count ? args.Positional[auto++] : throw new PyTypeError("Replacement index out of range for positional args tuple");
            }
            else if (int.TryParse(head, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                value = index < args.Positional.Count ? args.Positional[index] : throw new PyTypeError($"Replacement index {index} out of range for positional args tuple");
            }
            else
            {
                var kw = args.Keywords.FindIndex(k => k.Key == head);
                value = kw >= 0 ? args.Keywords[kw].Value : throw new PyTypeError($"KeyError: '{head}'");
            }
            if (nameEnd >= 0)
            {
                value = Lookup(value, field[nameEnd..]);
            }
            if (conversion is char conv)
            {
                value = conv switch
                {
                    's' => Py.Str(value),
                    'r' or 'a' => Py.Repr(value),
                    _ => throw new PyTypeError($"Unknown conversion specifier {conv}"),
                };
            }
            sb.Append(ApplySpec(value, spec));
        }
        return sb.ToString();
    }

    private static object? Lookup(object? value, string path)
    {
        var i = 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                if (end < 0)
                {
                    end = path.Length;
                }
                value = Evaluator.GetAttribute(value, path[(i + 1)..end]);
                i = end;
            }
            else
            {
                var end = path.IndexOf(']', i);
                if (end < 0)
                {
                    throw new PyTypeError("Missing ']' in format string");
                }
                var key = path[(i + 1)..end];
                value = Evaluator.GetItem(value, long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : key);
                i = end + 1;
            }
        }
        return value;
    }

    private static string ApplySpec(object? value, string? spec)
    {
        if (string.IsNullOrEmpty(spec))
        {
            return Py.Str(value);
        }
        var i = 0;
        var fill = ' ';
        char? align = null;
        if (spec.Length >= 2 && spec[1] is '<' or '>' or '^' or '=')
        {
            fill = spec[0];
            align = spec[1];
            i = 2;
        }
        else if (spec[0] is '<' or '>' or '^' or '=')
        {
            align = spec[0];
            i = 1;
        }
        var sign = '-';
        if (i < spec.Length && spec[i] is '+' or '-' or ' ')
        {
            sign = spec[i++];
        }
        if (i < spec.Length && spec[i] == '0' && align is null)
        {
            fill = '0';
            align = '=';
            i++;
        }
        var width = 0;
        while (i < spec.Length && char.IsAsciiDigit(spec[i]))
        {
            width = Math.Min((width * 10) + (spec[i++] - '0'), 1 << 16);
        }
        int? precision = null;
        if (i < spec.Length && spec[i] == '.')
        {
            i++;
            var p = 0;
            while (i < spec.Length && char.IsAsciiDigit(spec[i]))
            {
                p = Math.Min((p * 10) + (spec[i++] - '0'), 100);
            }
            precision = p;
        }
        var type = i < spec.Length ? spec[i++] : (char?)null;
        if (i != spec.Length)
        {
            throw new PyTypeError($"Invalid format specifier '{spec}'");
        }
        string text;
        var numeric = Py.IsNumber(value);
        switch (type)
        {
            case null when value is string s:
            case 's':
                text = Py.Str(value);
                if (precision is int p && p < text.Length)
                {
                    text = text[..p];
                }
                break;
            case 'd':
                text = Py.ToLong(value).ToString(CultureInfo.InvariantCulture);
                break;
            case 'f' or 'F':
                text = FixedPoint(Py.ToDouble(value), precision ?? 6);
                break;
            case '%':
                text = FixedPoint(Py.ToDouble(value) * 100, precision ?? 6) + "%";
                break;
            case null when numeric:
                text = precision is int q ? FixedPoint(Py.ToDouble(value), q) : Py.Str(value);
                break;
            default:
                throw new PyTypeError($"Unsupported format specifier '{spec}' for {Py.TypeName(value)}");
        }
        if (numeric && sign is '+' or ' ' && !text.StartsWith('-'))
        {
            text = sign + text;
        }
        if (text.Length >= width)
        {
            return text;
        }
        var pad = width - text.Length;
        return (align ?? (numeric ? '>' : '<')) switch
        {
            '<' => text + new string(fill, pad),
            '>' => new string(fill, pad) + text,
            '^' => new string(fill, pad / 2) + text + new string(fill, pad - (pad / 2)),
            _ => text.Length > 0 && text[0] is '-' or '+' or ' '
                ? text[0] + new string(fill, pad) + text[1..]
                : new string(fill, pad) + text,
        };
    }

    /// <summary><c>datetime.strftime</c> in the C locale, with glibc's <c>%-d</c> (no padding).</summary>
    public static string Strftime(string format, DateTimeOffset now)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                sb.Append(format[i]);
                continue;
            }
            var noPad = format[i + 1] == '-' && i + 2 < format.Length;
            var directive = format[noPad ? i + 2 : i + 1];
            string Num(int value, int digits) => noPad ? value.ToString(CultureInfo.InvariantCulture) : value.ToString(new string('0', digits), CultureInfo.InvariantCulture);
            var hour12 = now.Hour % 12 == 0 ? 12 : now.Hour % 12;
            string? text = directive switch
            {
                'a' => Days[(int)now.DayOfWeek][..3],
                'A' => Days[(int)now.DayOfWeek],
                'b' or 'h' => Months[now.Month - 1][..3],
                'B' => Months[now.Month - 1],
                'd' => Num(now.Day, 2),
                'e' => now.Day.ToString(CultureInfo.InvariantCulture).PadLeft(noPad ? 0 : 2),
                'm' => Num(now.Month, 2),
                'y' => Num(now.Year % 100, 2),
                'Y' => now.Year.ToString(CultureInfo.InvariantCulture),
                'H' => Num(now.Hour, 2),
                'I' => Num(hour12, 2),
                'M' => Num(now.Minute, 2),
                'S' => Num(now.Second, 2),
                'p' => now.Hour < 12 ? "AM" : "PM",
                'j' => Num(now.DayOfYear, 3),
                'f' => (now.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", CultureInfo.InvariantCulture),
                'w' => ((int)now.DayOfWeek).ToString(CultureInfo.InvariantCulture),
                'u' => (now.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)now.DayOfWeek).ToString(CultureInfo.InvariantCulture),
                'c' => Strftime("%a %b %e %H:%M:%S %Y", now),
                'x' => Strftime("%m/%d/%y", now),
                'X' => Strftime("%H:%M:%S", now),
                'D' => Strftime("%m/%d/%y", now),
                'F' => Strftime("%Y-%m-%d", now),
                'T' => Strftime("%H:%M:%S", now),
                'R' => Strftime("%H:%M", now),
                // datetime.now() is naive: no zone to print.
                'z' or 'Z' => "",
                '%' => "%",
                _ => null,
            };
            if (text is null)
            {
                sb.Append(format[i]);
                continue;
            }
            sb.Append(text);
            i += noPad ? 2 : 1;
        }
        return sb.ToString();
    }
}
