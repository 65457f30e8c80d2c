using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ChatTemplates.Jinja;

/// <summary>JSON in and out: input values become runtime values (integers stay integers, <c>1.0</c> stays a
/// float), and <see cref="Dumps"/> writes as Python's <c>json.dumps</c> does, which is what Hugging Face's
/// <c>tojson</c> filter calls.</summary>
internal static class PyJson
{
    public static object? FromNode(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                var dict = new PyDict();
                foreach (var kv in obj)
                {
                    dict.Set(kv.Key, FromNode(kv.Value));
                }
                return dict;
            case JsonArray array:
                return new PyList(array.Select(FromNode).ToList());
            default:
                var value = node.AsValue();
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String: return value.GetValue<string>();
                    case JsonValueKind.True: return true;
                    case JsonValueKind.False: return false;
                    case JsonValueKind.Null: return null;
                    case JsonValueKind.Number: return ClrNumber(value) ?? Number(value.ToJsonString());
                    default: throw new PyTypeError($"Unsupported JSON value {value.ToJsonString()}");
                }
        }
    }

    public static object? FromElement(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => FromProperties(element),
        JsonValueKind.Array => new PyList(element.EnumerateArray().Select(FromElement).ToList()),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => Number(element.GetRawText()),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    private static PyDict FromProperties(JsonElement element)
    {
        var dict = new PyDict();
        foreach (var property in element.EnumerateObject())
        {
            dict.Set(property.Name, FromElement(property.Value));
        }
        return dict;
    }

    /// <summary>A number a JsonValue holds as a .NET value (JsonValue.Create(2.0)): its type decides int or float,
    /// as its JSON text ("2") cannot. Null for one read from JSON text.</summary>
    private static object? ClrNumber(JsonValue value)
    {
        if (value.TryGetValue<JsonElement>(out _))
        {
            return null;
        }
        if (value.TryGetValue<double>(out var d))
        {
            return d;
        }
        if (value.TryGetValue<float>(out var f))
        {
            return (double)f;
        }
        if (value.TryGetValue<decimal>(out var m))
        {
            return (double)m;
        }
        return null;
    }

    /// <summary>A JSON number as Python's json.loads reads it: an int without a fraction or exponent, else a float.</summary>
    private static object Number(string text) =>
        text.AsSpan().IndexOfAny('.', 'e', 'E') < 0 && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
            ? (object)l
            : double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>Python's <c>json.dumps(value, ensure_ascii, indent, separators, sort_keys)</c>. Undefined writes as
    /// <c>null</c>, as Hugging Face's JavaScript renderer writes it (Python would raise).</summary>
    public static string Dumps(object? value, object? indent, string? itemSeparator, string? keySeparator,
        bool sortKeys, bool ensureAscii, int maxLength)
    {
        string? indentText = indent switch
        {
            null => null,
            string s => s,
            bool or long => new string(' ', (int)Math.Clamp(Py.ToLong(indent), 0, 1024)),
            _ => throw new PyTypeError($"indent must be None, an int or a string, not '{Py.TypeName(indent)}'"),
        };
        var writer = new Writer(indentText, itemSeparator ?? (indentText is null ? ", " : ","), keySeparator ?? ": ", sortKeys, ensureAscii, maxLength);
        writer.Write(value, 0);
        return writer.ToString();
    }

    private sealed class Writer(string? indent, string itemSeparator, string keySeparator, bool sortKeys, bool ensureAscii, int maxLength)
    {
        private readonly StringBuilder _sb = new();

        public override string ToString() => _sb.ToString();

        private void NewLine(int depth)
        {
            if (indent is null)
            {
                return;
            }
            _sb.Append('\n');
            for (var i = 0; i < depth; i++)
            {
                _sb.Append(indent);
            }
        }

        public void Write(object? value, int depth)
        {
            if (depth > 512)
            {
                throw new PyTypeError("The value nests too deeply to write as JSON");
            }
            PyString.CheckLength(_sb, maxLength);
            switch (value)
            {
                case null or Undefined: _sb.Append("null"); break;
                case bool b: _sb.Append(b ? "true" : "false"); break;
                case long l: _sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
                case double d: _sb.Append(FloatText(d)); break;
                case string s: WriteString(s); break;
                case PyList list:
                    if (list.Count == 0)
                    {
                        _sb.Append("[]");
                        break;
                    }
                    _sb.Append('[');
                    for (var i = 0; i < list.Count; i++)
                    {
                        if (i > 0)
                        {
                            _sb.Append(itemSeparator);
                        }
                        NewLine(depth + 1);
                        Write(list[i], depth + 1);
                    }
                    NewLine(depth);
                    _sb.Append(']');
                    break;
                case PyDict dict:
                    if (dict.Count == 0)
                    {
                        _sb.Append("{}");
                        break;
                    }
                    IEnumerable<KeyValuePair<object, object?>> entries = dict.Entries;
                    if (sortKeys)
                    {
                        var sorted = dict.Entries.ToList();
                        sorted.Sort((a, b) => Py.Compare(a.Key, b.Key, "<"));
                        entries = sorted;
                    }
                    _sb.Append('{');
                    var first = true;
                    foreach (var kv in entries)
                    {
                        if (!first)
                        {
                            _sb.Append(itemSeparator);
                        }
                        first = false;
                        NewLine(depth + 1);
                        WriteString(KeyText(kv.Key));
                        _sb.Append(keySeparator);
                        Write(kv.Value, depth + 1);
                    }
                    NewLine(depth);
                    _sb.Append('}');
                    break;
                default:
                    throw new PyTypeError($"Object of type {Py.TypeName(value)} is not JSON serializable");
            }
        }

        private static string FloatText(double d) =>
            double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : Py.FloatRepr(d);

        private static string KeyText(object key) => key switch
        {
            string s => s,
            bool b => b ? "true" : "false",
            long l => l.ToString(CultureInfo.InvariantCulture),
            double d => FloatText(d),
            _ => throw new PyTypeError($"keys must be str, int, float, bool or None, not {Py.TypeName(key)}"),
        };

        private void WriteString(string s)
        {
            _sb.Append('"');
            foreach (var c in s)
            {
                switch (c)
                {
                    case '"': _sb.Append("\\\""); break;
                    case '\\': _sb.Append("\\\\"); break;
                    case '\n': _sb.Append("\\n"); break;
                    case '\r': _sb.Append("\\r"); break;
                    case '\t': _sb.Append("\\t"); break;
                    case '\b': _sb.Append("\\b"); break;
                    case '\f': _sb.Append("\\f"); break;
                    default:
                        if (c < ' ' || (ensureAscii && c > '~'))
                        {
                            _sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            _sb.Append(c);
                        }
                        break;
                }
            }
            _sb.Append('"');
        }
    }
}
