using System.Globalization;
using System.Text;

namespace ChatTemplates.Jinja;

/// <summary>Python's str semantics over .NET strings: whitespace as <c>str.isspace</c> sees it, lengths and
/// positions in code points (a character outside the BMP counts once, as in Python), and the str methods that
/// chat templates call.</summary>
internal static class PyString
{
    /// <summary>Python's <c>str.isspace()</c> for one UTF-16 unit (it also counts the separators U+001C–U+001F).</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    private static bool HasSurrogates(string s)
    {
        foreach (var c in s)
        {
            if (char.IsSurrogate(c))
            {
                return true;
            }
        }
        return false;
    }

    public static long Length(string s)
    {
        if (!HasSurrogates(s))
        {
            return s.Length;
        }
        var n = 0;
        for (var i = 0; i < s.Length; i++, n++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
        }
        return n;
    }

    /// <summary>The string's characters (code points), each as a string.</summary>
    public static List<object?> Characters(string s)
    {
        var list = new List<object?>(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                list.Add(s.Substring(i++, 2));
            }
            else
            {
                list.Add(s[i].ToString());
            }
        }
        return list;
    }

    /// <summary>The characters as strings when the string has surrogate pairs; null when UTF-16 indexing is
    /// already code point indexing.</summary>
    public static List<object?>? CharactersIfWide(string s) => HasSurrogates(s) ? Characters(s) : null;

    public static int CompareCodePoints(string a, string b)
    {
        var i = 0;
        var j = 0;
        while (i < a.Length && j < b.Length)
        {
            var x = NextCodePoint(a, ref i);
            var y = NextCodePoint(b, ref j);
            if (x != y)
            {
                return x < y ? -1 : 1;
            }
        }
        return (a.Length - i).CompareTo(b.Length - j);
    }

    private static int NextCodePoint(string s, ref int i)
    {
        if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            var cp = char.ConvertToUtf32(s[i], s[i + 1]);
            i += 2;
            return cp;
        }
        return s[i++];
    }

    public static string Strip(string s, string? chars) => RStrip(LStrip(s, chars), chars);

    public static string LStrip(string s, string? chars = null)
    {
        var i = 0;
        while (i < s.Length && (chars is null ? IsSpace(s[i]) : chars.Contains(s[i], StringComparison.Ordinal)))
        {
            i++;
        }
        return s[i..];
    }

    public static string RStrip(string s, string? chars = null)
    {
        var i = s.Length;
        while (i > 0 && (chars is null ? IsSpace(s[i - 1]) : chars.Contains(s[i - 1], StringComparison.Ordinal)))
        {
            i--;
        }
        return s[..i];
    }

    /// <summary><c>str.split(sep, maxsplit)</c>: with no separator, runs of whitespace split and edges are dropped.</summary>
    public static List<object?> Split(string s, string? sep, long maxSplit)
    {
        var parts = new List<object?>();
        if (sep is null)
        {
            var i = 0;
            while (true)
            {
                while (i < s.Length && IsSpace(s[i]))
                {
                    i++;
                }
                if (i >= s.Length)
                {
                    break;
                }
                if (maxSplit >= 0 && parts.Count == maxSplit)
                {
                    parts.Add(RStrip(s[i..]));
                    break;
                }
                var start = i;
                while (i < s.Length && !IsSpace(s[i]))
                {
                    i++;
                }
                parts.Add(s[start..i]);
            }
            return parts;
        }
        if (sep.Length == 0)
        {
            throw new PyTypeError("empty separator");
        }
        var from = 0;
        while (maxSplit < 0 || parts.Count < maxSplit)
        {
            var at = s.IndexOf(sep, from, StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }
            parts.Add(s[from..at]);
            from = at + sep.Length;
        }
        parts.Add(s[from..]);
        return parts;
    }

    public static List<object?> RSplit(string s, string? sep, long maxSplit)
    {
        if (maxSplit < 0)
        {
            return Split(s, sep, maxSplit);
        }
        var parts = new List<object?>();
        if (sep is null)
        {
            var i = s.Length;
            while (true)
            {
                while (i > 0 && IsSpace(s[i - 1]))
                {
                    i--;
                }
                if (i <= 0)
                {
                    break;
                }
                if (parts.Count == maxSplit)
                {
                    parts.Add(LStrip(s[..i]));
                    break;
                }
                var end = i;
                while (i > 0 && !IsSpace(s[i - 1]))
                {
                    i--;
                }
                parts.Add(s[i..end]);
            }
            parts.Reverse();
            return parts;
        }
        if (sep.Length == 0)
        {
            throw new PyTypeError("empty separator");
        }
        var to = s.Length;
        while (parts.Count < maxSplit)
        {
            var at = to - sep.Length < 0 ? -1 : s.LastIndexOf(sep, to - 1, to, StringComparison.Ordinal);
            if (at < 0 || at + sep.Length > to)
            {
                break;
            }
            parts.Add(s[(at + sep.Length)..to]);
            to = at;
        }
        parts.Add(s[..to]);
        parts.Reverse();
        return parts;
    }

    private static bool IsLineBreak(char c) => c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029';

    /// <summary><c>str.splitlines(keepends)</c>, with Python's line boundaries.</summary>
    public static List<object?> SplitLines(string s, bool keepEnds = false)
    {
        var lines = new List<object?>();
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (!IsLineBreak(s[i]))
            {
                continue;
            }
            var end = i;
            if (s[i] == '\r' && i + 1 < s.Length && s[i + 1] == '\n')
            {
                i++;
            }
            lines.Add(keepEnds ? s[start..(i + 1)] : s[start..end]);
            start = i + 1;
        }
        if (start < s.Length)
        {
            lines.Add(s[start..]);
        }
        return lines;
    }

    /// <summary><c>str.replace(old, new, count)</c>; an empty <paramref name="old"/> inserts between characters.</summary>
    public static string Replace(string s, string old, string replacement, long count, int maxLength)
    {
        var sb = new StringBuilder();
        if (old.Length == 0)
        {
            var chars = Characters(s);
            var done = 0L;
            foreach (var c in chars)
            {
                if (count < 0 || done < count)
                {
                    sb.Append(replacement);
                    done++;
                }
                sb.Append((string)c!);
                CheckLength(sb, maxLength);
            }
            if (count < 0 || done < count)
            {
                sb.Append(replacement);
            }
            return sb.ToString();
        }
        var from = 0;
        var n = 0L;
        while (count < 0 || n < count)
        {
            var at = s.IndexOf(old, from, StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }
            sb.Append(s, from, at - from).Append(replacement);
            CheckLength(sb, maxLength);
            from = at + old.Length;
            n++;
        }
        sb.Append(s, from, s.Length - from);
        return sb.ToString();
    }

    public static void CheckLength(StringBuilder sb, int maxLength)
    {
        if (sb.Length > maxLength)
        {
            throw new TemplateLimitException($"A string would pass the limit of {maxLength} characters");
        }
    }

    /// <summary>Python's <c>str.title()</c>: a letter after a letter is lowered, any other letter raised.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        var previousCased = false;
        foreach (var c in s)
        {
            if (char.IsLetter(c))
            {
                sb.Append(previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
                previousCased = true;
            }
            else
            {
                sb.Append(c);
                previousCased = false;
            }
        }
        return sb.ToString();
    }

    /// <summary>Python's <c>str.capitalize()</c>: the first character raised, the rest lowered.</summary>
    public static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>Code point offset of a UTF-16 index.</summary>
    public static long CodePointIndex(string s, int utf16Index) => utf16Index < 0 ? -1 : Length(s[..utf16Index]);

    /// <summary>Python's repr() of a string: single quotes unless the text has one and no double quote.</summary>
    public static void AppendRepr(StringBuilder sb, string s)
    {
        var quote = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        sb.Append(quote);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '\\': sb.Append("\\\\"); continue;
                case '\n': sb.Append("\\n"); continue;
                case '\r': sb.Append("\\r"); continue;
                case '\t': sb.Append("\\t"); continue;
            }
            if (c == quote)
            {
                sb.Append('\\').Append(c);
                continue;
            }
            int cp = c;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                cp = char.ConvertToUtf32(c, s[++i]);
            }
            if (IsPrintable(cp))
            {
                sb.Append(char.ConvertFromUtf32(cp));
            }
            else if (cp < 0x100)
            {
                sb.Append("\\x").Append(cp.ToString("x2", CultureInfo.InvariantCulture));
            }
            else if (cp < 0x10000)
            {
                sb.Append("\\u").Append(cp.ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append("\\U").Append(cp.ToString("x8", CultureInfo.InvariantCulture));
            }
        }
        sb.Append(quote);
    }

    private static bool IsPrintable(int cp)
    {
        if (cp == ' ')
        {
            return true;
        }
        if (cp is >= 0xD800 and <= 0xDFFF)
        {
            return false;
        }
        var category = CharUnicodeInfo.GetUnicodeCategory(cp);
        return category is not (UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.SpaceSeparator);
    }
}
