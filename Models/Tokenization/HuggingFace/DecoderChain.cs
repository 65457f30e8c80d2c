using System.Text;
using System.Text.Json;

namespace Models.Tokenization.HuggingFace;

/// <summary>
/// <c>tokenizer.json</c>'s <c>decoder</c>, step for step as Hugging Face's <c>tokenizers</c> (0.22) runs it over the
/// tokens' strings: <c>ByteLevel</c> (GPT-2, Llama 3, Qwen, GPT-NeoX), <c>Replace</c> with a string pattern,
/// <c>ByteFallback</c>, <c>Fuse</c>, <c>Strip</c> (Llama 2, Mistral), <c>Metaspace</c>, and <c>Sequence</c>s of
/// them; no decoder joins tokens with spaces. Each step takes tokens one at a time and passes on what is settled, so
/// one implementation serves whole texts (push all, flush) and streams (push each), and the streamed pieces always
/// concatenate to the whole text. Other decoders (WordPiece, BPE suffixes, CTC) are refused by name.
/// </summary>
internal sealed class DecoderChain
{
    private readonly Func<Step>[] _steps;

    private DecoderChain(Func<Step>[] steps) => _steps = steps;

    /// <summary>The chain of <paramref name="decoder"/> (tokenizer.json's <c>decoder</c>; null or absent: none).</summary>
    /// <exception cref="NotSupportedException">A decoder this chain does not implement, named.</exception>
    /// <exception cref="InvalidDataException">A decoder lacks a field it needs.</exception>
    public static DecoderChain Parse(JsonElement decoder, string path)
    {
        var steps = new List<Func<Step>>();
        if (decoder.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            steps.Add(() => new JoinStep());
            return new DecoderChain([.. steps]);
        }

        var fusedBy = (string?)null;
        foreach (var step in Flatten(decoder, path))
        {
            var type = TokenizerJson.String(step, "type") ?? throw new InvalidDataException($"{path}: a decoder has no \"type\".");
            if (fusedBy is not null && type is not ("Strip" or "Fuse"))
            {
                // Hugging Face would run it over the one joined string; no model's tokenizer does that.
                throw new NotSupportedException($"{path}: the decoder '{type}' after '{fusedBy}' is not supported.");
            }

            switch (type)
            {
                case "ByteLevel":
                    steps.Add(() => new ByteLevelStep());
                    fusedBy = type;
                    break;
                case "Fuse":
                    fusedBy ??= type; // later steps see one string: the concatenation of what came through
                    break;
                case "ByteFallback":
                    steps.Add(() => new ByteFallbackStep());
                    break;
                case "Replace":
                    var (pattern, content) = ReadReplace(step, path);
                    steps.Add(() => new ReplaceStep(pattern, content));
                    break;
                case "Strip":
                    var (stripped, start, stop) = ReadStrip(step, path);
                    var fused = fusedBy is not null;
                    steps.Add(() => new StripStep(stripped, start, stop, fused));
                    break;
                case "Metaspace":
                    var replacement = SingleChar(step, "replacement", path);
                    var scheme = TokenizerJson.String(step, "prepend_scheme") ?? "always";
                    var never = scheme == "never" || (step.TryGetProperty("add_prefix_space", out var prefix) && prefix.ValueKind == JsonValueKind.False);
                    steps.Add(() => new MetaspaceStep(replacement, dropFirst: !never));
                    break;
                default:
                    throw new NotSupportedException(
                        $"{path}: the decoder '{type}' is not supported; supported: ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace and Sequence.");
            }
        }

        return new DecoderChain([.. steps]);
    }

    /// <summary>A fresh stream through the chain.</summary>
    public Stream Start() => new(_steps);

    private static IEnumerable<JsonElement> Flatten(JsonElement decoder, string path)
    {
        if (decoder.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{path}: \"decoder\" is not an object.");
        }

        if (TokenizerJson.String(decoder, "type") != "Sequence")
        {
            yield return decoder;
            yield break;
        }

        if (!decoder.TryGetProperty("decoders", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{path}: a Sequence decoder has no \"decoders\" list.");
        }

        foreach (var inner in list.EnumerateArray().SelectMany(d => Flatten(d, path)))
        {
            yield return inner;
        }
    }

    private static (string Pattern, string Content) ReadReplace(JsonElement step, string path)
    {
        if (!step.TryGetProperty("pattern", out var pattern) || pattern.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{path}: a Replace decoder has no \"pattern\".");
        }

        var literal = TokenizerJson.String(pattern, "String");
        if (literal is null)
        {
            throw new NotSupportedException($"{path}: a Replace decoder with a {string.Join("/", pattern.EnumerateObject().Select(p => p.Name))} pattern is not supported; only a String pattern is.");
        }

        return literal.Length > 0 && TokenizerJson.String(step, "content") is { } content
            ? (literal, content)
            : throw new InvalidDataException($"{path}: a Replace decoder needs a non-empty pattern and a \"content\".");
    }

    private static (char Content, int Start, int Stop) ReadStrip(JsonElement step, string path)
    {
        static int Count(JsonElement step, string name, string path) =>
            step.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var count) && count >= 0
                ? count
                : throw new InvalidDataException($"{path}: a Strip decoder has no valid \"{name}\".");
        return (SingleChar(step, "content", path), Count(step, "start", path), Count(step, "stop", path));
    }

    private static char SingleChar(JsonElement step, string name, string path) =>
        TokenizerJson.String(step, name) is { Length: 1 } text
            ? text[0]
            : throw new NotSupportedException($"{path}: a {TokenizerJson.String(step, "type")} decoder's \"{name}\" must be one UTF-16 character.");

    /// <summary>Tokens through the chain: what each push settles comes out at once; <see cref="Flush"/> ends the stream.</summary>
    internal sealed class Stream
    {
        private readonly Step _first;
        private readonly SinkStep _sink = new();

        public Stream(Func<Step>[] steps)
        {
            Step next = _sink;
            for (var i = steps.Length - 1; i >= 0; i--)
            {
                var step = steps[i]();
                step.Next = next;
                next = step;
            }

            _first = next;
        }

        /// <summary>Adds one token's string; returns the text it settles.</summary>
        public string Push(string token)
        {
            _first.Push(token);
            return _sink.Take();
        }

        /// <summary>Pushes a token, keeping its text in the output (for whole texts).</summary>
        public void Append(string token) => _first.Push(token);

        /// <summary>Ends the stream: returns everything not yet taken.</summary>
        public string Flush()
        {
            _first.Flush();
            return _sink.Take();
        }
    }

    internal abstract class Step
    {
        public Step Next { get; set; } = null!;

        public abstract void Push(string token);

        public virtual void Flush() => Next.Flush();
    }

    private sealed class SinkStep : Step
    {
        private readonly StringBuilder _text = new();

        public override void Push(string token) => _text.Append(token);

        public override void Flush()
        {
        }

        public string Take()
        {
            var text = _text.ToString();
            _text.Clear();
            return text;
        }
    }

    /// <summary>No decoder: Hugging Face joins the tokens with spaces.</summary>
    private sealed class JoinStep : Step
    {
        private bool _first = true;

        public override void Push(string token)
        {
            if (!_first)
            {
                Next.Push(" ");
            }

            _first = false;
            Next.Push(token);
        }
    }

    /// <summary>
    /// GPT-2's byte-level alphabet back to bytes (a token with a character outside it is its own UTF-8), then one
    /// lossy UTF-8 decoding of them all: .NET's decoder replaces maximal invalid subparts as Rust's
    /// <c>from_utf8_lossy</c> does, and keeps an incomplete character for the next push.
    /// </summary>
    private sealed class ByteLevelStep : Step
    {
        private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
        private byte[] _bytes = new byte[64];
        private char[] _chars = new char[64];

        public override void Push(string token)
        {
            var count = ByteLevel.TryGetBytes(token, ref _bytes);
            Emit(_bytes.AsSpan(0, count), flush: false);
        }

        public override void Flush()
        {
            Emit([], flush: true);
            Next.Flush();
        }

        private void Emit(ReadOnlySpan<byte> bytes, bool flush)
        {
            var needed = bytes.Length + 4; // at most one char per byte, plus held-back bytes as replacement chars
            if (_chars.Length < needed)
            {
                _chars = new char[Math.Max(needed, _chars.Length * 2)];
            }

            var count = _utf8.GetChars(bytes, _chars, flush);
            if (count > 0)
            {
                Next.Push(new string(_chars, 0, count));
            }
        }
    }

    /// <summary>
    /// Runs of <c>&lt;0xNN&gt;</c> tokens become their text when the run is valid UTF-8, else one U+FFFD per byte
    /// (exactly Hugging Face's rule, not a lossy decoding); a run is settled by the next other token or the end.
    /// </summary>
    private sealed class ByteFallbackStep : Step
    {
        private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        private readonly List<byte> _run = [];

        public override void Push(string token)
        {
            if (TryParseByte(token, out var value))
            {
                _run.Add(value);
                return;
            }

            Settle();
            Next.Push(token);
        }

        public override void Flush()
        {
            Settle();
            Next.Flush();
        }

        /// <summary>Hugging Face's test: six bytes, <c>&lt;0x</c>, two characters Rust's <c>u8::from_str_radix(_, 16)</c> takes, <c>&gt;</c>.</summary>
        internal static bool TryParseByte(string token, out byte value)
        {
            value = 0;
            if (token.Length != 6 || !token.StartsWith("<0x", StringComparison.Ordinal) || token[5] != '>')
            {
                return false;
            }

            var (high, low) = (token[3], token[4]);
            if (high == '+') // Rust's integer parsing takes a leading plus sign
            {
                return HexDigit(low) is var single and >= 0 && (value = (byte)single) == single;
            }

            if (HexDigit(high) is var h and >= 0 && HexDigit(low) is var l and >= 0)
            {
                value = (byte)((h << 4) | l);
                return true;
            }

            return false;
        }

        private static int HexDigit(char c) => c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'a' and <= 'f' => c - 'a' + 10,
            >= 'A' and <= 'F' => c - 'A' + 10,
            _ => -1,
        };

        private void Settle()
        {
            if (_run.Count == 0)
            {
                return;
            }

            string? text;
            try
            {
                text = Strict.GetString([.. _run]);
            }
            catch (DecoderFallbackException)
            {
                text = null;
            }

            if (text is not null)
            {
                Next.Push(text);
            }
            else
            {
                for (var i = 0; i < _run.Count; i++)
                {
                    Next.Push("\uFFFD");
                }
            }

            _run.Clear();
        }
    }

    private sealed class ReplaceStep(string pattern, string content) : Step
    {
        public override void Push(string token) => Next.Push(token.Replace(pattern, content, StringComparison.Ordinal));
    }

    /// <summary>
    /// Removes up to <c>start</c> leading and <c>stop</c> trailing <c>content</c> characters: of each token, or, after
    /// a fusing step, of the one joined string, whose end is only known at the flush (trailing candidates wait).
    /// </summary>
    private sealed class StripStep(char content, int start, int stop, bool fused) : Step
    {
        private readonly StringBuilder _held = new();
        private int _leading = -1; // leading characters still to strip from the joined string; -1 before the first push
        private bool _started;

        public override void Push(string token)
        {
            if (!fused)
            {
                var from = 0;
                while (from < Math.Min(start, token.Length) && token[from] == content)
                {
                    from++;
                }

                var to = token.Length;
                while (to > from && token.Length - to < stop && token[to - 1] == content)
                {
                    to--;
                }

                Next.Push(token[from..to]);
                return;
            }

            var text = token.AsSpan();
            if (!_started)
            {
                if (_leading < 0)
                {
                    _leading = start;
                }

                while (_leading > 0 && text.Length > 0 && text[0] == content)
                {
                    text = text[1..];
                    _leading--;
                }

                if (text.Length == 0)
                {
                    return;
                }

                _started = true;
            }

            if (stop == 0)
            {
                Next.Push(text.ToString());
                return;
            }

            // What may be the string's last stop content characters waits; anything before them is settled.
            _held.Append(text);
            var trailing = 0;
            while (trailing < _held.Length && trailing < stop && _held[_held.Length - 1 - trailing] == content)
            {
                trailing++;
            }

            if (_held.Length > trailing)
            {
                Next.Push(_held.ToString(0, _held.Length - trailing));
                _held.Remove(0, _held.Length - trailing);
            }
        }

        public override void Flush()
        {
            _held.Clear(); // the string's trailing content characters, up to stop: stripped
            Next.Flush();
        }
    }

    /// <summary>The replacement character becomes a space, except in the first token, where it is dropped (unless the scheme is "never").</summary>
    private sealed class MetaspaceStep(char replacement, bool dropFirst) : Step
    {
        private bool _first = true;

        public override void Push(string token)
        {
            Next.Push(_first && dropFirst ? token.Replace(replacement.ToString(), "", StringComparison.Ordinal) : token.Replace(replacement, ' '));
            _first = false;
        }
    }
}
