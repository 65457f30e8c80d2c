using System.Globalization;
using System.Text;

namespace ChatTemplates.Jinja;

/// <summary>
/// Splits a template into tokens as Jinja's lexer does with Hugging Face's settings (<c>trim_blocks=True</c>,
/// <c>lstrip_blocks=True</c>, <c>keep_trailing_newline=False</c>): newlines normalized to <c>\n</c>, one trailing
/// newline dropped, the first newline after a block or comment tag removed, spaces and tabs before a block or
/// comment tag at the start of a line removed, and <c>-</c>/<c>+</c> whitespace control on every tag.
/// </summary>
internal sealed class Lexer
{
    private static readonly string[] Operators =
    [
        "**", "//", "==", "!=", "<=", ">=",
        "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|",
    ];

    private readonly string _src;
    private readonly List<int> _lineStarts = [0];
    private readonly List<Token> _tokens = [];
    private readonly bool _trimBlocks;
    private readonly bool _lstripBlocks;

    private Lexer(string source, bool trimBlocks, bool lstripBlocks)
    {
        var normalized = source.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        if (normalized.EndsWith('\n'))
        {
            normalized = normalized[..^1];
        }
        _src = normalized;
        _trimBlocks = trimBlocks;
        _lstripBlocks = lstripBlocks;
        for (var i = 0; i < _src.Length; i++)
        {
            if (_src[i] == '\n')
            {
                _lineStarts.Add(i + 1);
            }
        }
    }

    public static List<Token> Tokenize(string source, bool trimBlocks = true, bool lstripBlocks = true)
    {
        var lexer = new Lexer(source, trimBlocks, lstripBlocks);
        lexer.Run();
        return lexer._tokens;
    }

    private (int Line, int Column) Position(int index)
    {
        var line = _lineStarts.BinarySearch(index);
        if (line < 0)
        {
            line = ~line - 1;
        }
        return (line + 1, index - _lineStarts[line] + 1);
    }

    private TemplateSyntaxException Error(string message, int index)
    {
        var (line, column) = Position(index);
        return new TemplateSyntaxException(message, line, column);
    }

    private void Add(TokenKind kind, string value, int index, object? number = null)
    {
        var (line, column) = Position(index);
        _tokens.Add(new Token(kind, value, line, column, number));
    }

    private void Run()
    {
        var pos = 0;
        var lineStarting = true;
        while (pos < _src.Length)
        {
            var open = FindOpener(pos);
            if (open < 0)
            {
                Add(TokenKind.Text, _src[pos..], pos);
                break;
            }
            var text = _src[pos..open];
            var kind = _src[open + 1];
            var modifier = open + 2 < _src.Length ? _src[open + 2] : '\0';
            if (modifier == '-')
            {
                text = PyString.RStrip(text);
            }
            else if (kind != '{' && modifier != '+' && _lstripBlocks)
            {
                var lineStart = text.LastIndexOf('\n') + 1;
                if ((lineStart > 0 || lineStarting) && lineStart < text.Length && IsAllSpace(text, lineStart))
                {
                    text = text[..lineStart];
                }
            }
            if (text.Length > 0)
            {
                Add(TokenKind.Text, text, pos);
            }
            var inner = open + 2 + (modifier == '-' || (modifier == '+' && kind != '{') ? 1 : 0);
            pos = kind == '#' ? SkipComment(open, inner) : LexTag(open, inner, kind == '%');
            lineStarting = pos > 0 && _src[pos - 1] == '\n';
        }
        Add(TokenKind.End, "", _src.Length);
    }

    private int FindOpener(int from)
    {
        for (var i = _src.IndexOf('{', from); i >= 0 && i + 1 < _src.Length; i = _src.IndexOf('{', i + 1))
        {
            if (_src[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }
        return -1;
    }

    private static bool IsAllSpace(string text, int from)
    {
        for (var i = from; i < text.Length; i++)
        {
            if (!PyString.IsSpace(text[i]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Skips <c>{# ... #}</c>; returns the index after it and its trailing whitespace control.</summary>
    private int SkipComment(int open, int inner)
    {
        var close = _src.IndexOf("#}", inner, StringComparison.Ordinal);
        if (close < 0)
        {
            throw Error("Unterminated comment: '{#' is never closed by '#}'", open);
        }
        var after = close + 2;
        return AfterClose(after, close > inner && _src[close - 1] == '-', close > inner && _src[close - 1] == '+', trims: true);
    }

    private int AfterClose(int after, bool minus, bool plus, bool trims)
    {
        if (minus)
        {
            while (after < _src.Length && PyString.IsSpace(_src[after]))
            {
                after++;
            }
        }
        else if (trims && !plus && _trimBlocks && after < _src.Length && _src[after] == '\n')
        {
            after++;
        }
        return after;
    }

    /// <summary>Lexes the expression tokens of a <c>{{ }}</c> or <c>{% %}</c> tag up to its closer.</summary>
    private int LexTag(int start, int pos, bool block)
    {
        Add(block ? TokenKind.BlockBegin : TokenKind.VariableBegin, block ? "{%" : "{{", start);
        var closer = block ? "%}" : "}}";
        var open = new Stack<(char Close, int At)>();
        while (true)
        {
            while (pos < _src.Length && PyString.IsSpace(_src[pos]))
            {
                pos++;
            }
            if (pos >= _src.Length)
            {
                throw Error($"Unterminated tag: '{(block ? "{%" : "{{")}' is never closed by '{closer}'", start);
            }
            if (open.Count == 0)
            {
                var minus = _src[pos] == '-' && At(pos + 1, closer);
                var plus = block && _src[pos] == '+' && At(pos + 1, closer);
                if (minus || plus || At(pos, closer))
                {
                    var closeAt = minus || plus ? pos + 1 : pos;
                    Add(block ? TokenKind.BlockEnd : TokenKind.VariableEnd, closer, closeAt);
                    return AfterClose(closeAt + 2, minus, plus, trims: block);
                }
            }
            var c = _src[pos];
            if (c == '_' || char.IsLetter(c))
            {
                var nameStart = pos;
                while (pos < _src.Length && (_src[pos] == '_' || char.IsLetterOrDigit(_src[pos])))
                {
                    pos++;
                }
                Add(TokenKind.Name, _src[nameStart..pos], nameStart);
            }
            else if (char.IsAsciiDigit(c))
            {
                pos = LexNumber(pos);
            }
            else if (c is '\'' or '"')
            {
                pos = LexString(pos);
            }
            else
            {
                var op = Array.Find(Operators, o => At(pos, o))
                    ?? throw Error($"Unexpected character '{c}' in a tag", pos);
                if (op is "(" or "[" or "{")
                {
                    open.Push((op switch { "(" => ')', "[" => ']', _ => '}' }, pos));
                }
                else if (op is ")" or "]" or "}")
                {
                    if (open.Count == 0)
                    {
                        throw Error($"Unexpected '{op}': nothing is open", pos);
                    }
                    var (close, _) = open.Pop();
                    if (op[0] != close)
                    {
                        throw Error($"Unexpected '{op}', expected '{close}'", pos);
                    }
                }
                Add(TokenKind.Operator, op, pos);
                pos += op.Length;
            }
        }
    }

    private bool At(int pos, string s) => pos + s.Length <= _src.Length && string.CompareOrdinal(_src, pos, s, 0, s.Length) == 0;

    private int DigitRun(int pos)
    {
        // Digits with single underscores between them, as Jinja (and Python) allow: 1_000.
        while (pos < _src.Length && char.IsAsciiDigit(_src[pos]))
        {
            pos++;
            if (pos + 1 < _src.Length && _src[pos] == '_' && char.IsAsciiDigit(_src[pos + 1]))
            {
                pos++;
            }
        }
        return pos;
    }

    private int LexNumber(int start)
    {
        var pos = DigitRun(start);
        var isFloat = false;
        if (pos + 1 < _src.Length && _src[pos] == '.' && char.IsAsciiDigit(_src[pos + 1])
            && !(start > 0 && _src[start - 1] == '.'))
        {
            pos = DigitRun(pos + 1);
            isFloat = true;
        }
        if (pos < _src.Length && _src[pos] is 'e' or 'E')
        {
            var e = pos + 1;
            if (e < _src.Length && _src[e] is '+' or '-')
            {
                e++;
            }
            if (e < _src.Length && char.IsAsciiDigit(_src[e]))
            {
                pos = DigitRun(e);
                isFloat = true;
            }
        }
        var text = _src[start..pos].Replace("_", "", StringComparison.Ordinal);
        if (isFloat)
        {
            Add(TokenKind.Float, text, start, double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
        }
        else if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            Add(TokenKind.Integer, text, start, value);
        }
        else
        {
            throw Error($"The integer {text} is too large", start);
        }
        return pos;
    }

    /// <summary>A quoted string with Python's escapes (<c>\n \t \\ \' \" \xhh \uhhhh \Uhhhhhhhh</c>, octal);
    /// an unknown escape stays as written, backslash included, as in Python.</summary>
    private int LexString(int start)
    {
        var quote = _src[start];
        var sb = new StringBuilder();
        var pos = start + 1;
        while (true)
        {
            if (pos >= _src.Length)
            {
                throw Error("Unterminated string literal", start);
            }
            var c = _src[pos];
            if (c == quote)
            {
                break;
            }
            if (c != '\\' || pos + 1 >= _src.Length)
            {
                sb.Append(c);
                pos++;
                continue;
            }
            var e = _src[pos + 1];
            pos += 2;
            switch (e)
            {
                case '\n': break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case 'x': pos = AppendHex(sb, pos, 2, start); break;
                case 'u': pos = AppendHex(sb, pos, 4, start); break;
                case 'U': pos = AppendHex(sb, pos, 8, start); break;
                case >= '0' and <= '7':
                    var code = e - '0';
                    for (var n = 0; n < 2 && pos < _src.Length && _src[pos] is >= '0' and <= '7'; n++, pos++)
                    {
                        code = code * 8 + (_src[pos] - '0');
                    }
                    sb.Append((char)code);
                    break;
                default: sb.Append('\\').Append(e); break;
            }
        }
        Add(TokenKind.String, sb.ToString(), start);
        return pos + 1;
    }

    private int AppendHex(StringBuilder sb, int pos, int digits, int start)
    {
        if (pos + digits > _src.Length
            || !int.TryParse(_src.AsSpan(pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
            || code < 0 || code > 0x10FFFF)
        {
            throw Error("Invalid escape in a string literal", start);
        }
        if (code is >= 0xD800 and <= 0xDFFF)
        {
            sb.Append((char)code);
        }
        else
        {
            sb.Append(char.ConvertFromUtf32(code));
        }
        return pos + digits;
    }
}
