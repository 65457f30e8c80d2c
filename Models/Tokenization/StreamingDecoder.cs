using System.Text;

namespace Models.Tokenization;

/// <summary>
/// Decodes generated tokens one at a time for streaming. A byte-level token can end partway through a UTF-8
/// character (an emoji often spans two or three tokens), so incomplete bytes are held back until the character
/// completes. The pieces <see cref="Push"/> and <see cref="Flush"/> return concatenate to
/// <see cref="ModelTokenizer.Decode"/> of all the ids. Not thread-safe: one per sequence.
/// </summary>
public sealed class StreamingDecoder : ITokenStreamDecoder
{
    private readonly ModelTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private ContinuationText _continuation = new("");

    // .NET's UTF-8 decoder keeps a partial sequence between calls and replaces invalid bytes as one-shot decoding does.
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] _chars = new char[64];

    public StreamingDecoder(ModelTokenizer tokenizer)
        : this(tokenizer, [], skipSpecialTokens: false)
    {
    }

    /// <summary>A decoder for what follows <paramref name="context"/>, whose incomplete last character it holds.</summary>
    public StreamingDecoder(ModelTokenizer tokenizer, IReadOnlyList<int> context, bool skipSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(context);
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
        // Only the state the context leaves matters (an incomplete last character), and what Decode(context) has of it.
        if (context.Count == 0)
        {
            return;
        }

        var probe = new StreamingDecoder(tokenizer, [], skipSpecialTokens);
        foreach (var id in context)
        {
            Push(id);
            probe.Push(id);
        }

        _continuation = new ContinuationText(probe.Flush());
    }

    /// <summary>Adds one token; returns the text it completes (empty while a character is still partial).</summary>
    public string Push(int id) => _continuation.Take(Decode(_tokenizer.TokenBytes(id, _skipSpecialTokens), flush: false));

    /// <summary>Ends the stream: returns what was held back (invalid or incomplete bytes as U+FFFD) and starts afresh.</summary>
    public string Flush() => _continuation.Take(Decode([], flush: true));

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        // At most one char per new byte, plus up to 3 held-back bytes (replacement chars) and a surrogate pair.
        var needed = bytes.Length + 4;
        if (_chars.Length < needed)
        {
            _chars = new char[Math.Max(needed, _chars.Length * 2)];
        }

        var count = _utf8.GetChars(bytes, _chars, flush);
        return count == 0 ? "" : new string(_chars, 0, count);
    }
}
