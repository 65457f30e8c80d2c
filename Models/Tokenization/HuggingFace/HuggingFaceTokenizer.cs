using System.Text;
using NativeTokenizer = Tokenizers.DotNet.Tokenizer;

namespace Models.Tokenization.HuggingFace;

/// <summary>
/// A Hugging Face fast tokenizer (<c>tokenizer.json</c>, with <c>tokenizer_config.json</c>'s special and added
/// tokens): byte-level BPE (Llama 3, Qwen, GPT-NeoX, GPT-2), SentencePiece-style BPE with byte fallback (Llama 2,
/// Mistral), and whatever else Hugging Face's <c>tokenizers</c> encodes. Encoding runs Hugging Face's own Rust code
/// (through Tokenizers.DotNet), so the ids are theirs, post-processor's BOS/EOS included; decoding runs the file's
/// decoder here (<see cref="DecoderChain"/>), as the binding always skips special tokens and streams nothing.
/// Thread-safe.
/// </summary>
public sealed class HuggingFaceTokenizer : ITextTokenizer, IDisposable
{
    public const string TokenizerJsonFile = "tokenizer.json";

    private readonly NativeTokenizer _native;
    private readonly string?[] _tokens;
    private readonly bool[] _special;
    private readonly DecoderChain _decoder;
    private readonly int[] _prefix;
    private readonly int[] _suffix;
    private readonly int? _maxBytesPerToken;

    private HuggingFaceTokenizer(NativeTokenizer native, TokenizerJson json, TokenizerConfig config, IReadOnlyList<AddedToken> extra)
    {
        _native = native;
        Source = json.Path;
        var added = json.AddedTokens.Concat(extra).ToList();
        _tokens = json.Tokens;
        if (extra.Count > 0)
        {
            Array.Resize(ref _tokens, Math.Max(_tokens.Length, extra.Max(t => t.Id) + 1));
            foreach (var token in extra)
            {
                _tokens[token.Id] = token.Content;
            }
        }

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var id = 0; id < _tokens.Length; id++)
        {
            if (_tokens[id] is { } token)
            {
                ids.TryAdd(token, id);
            }
        }

        foreach (var token in added)
        {
            ids[token.Content] = token.Id;
        }

        // What skip_special_tokens drops: Hugging Face's special added tokens, and the config's additional ones.
        _special = new bool[_tokens.Length];
        foreach (var token in added.Where(t => t.Special).Concat(config.AddedTokens.Where(t => t.Special)))
        {
            _special[token.Id] = true;
        }

        foreach (var text in config.AdditionalSpecialTokens)
        {
            if (ids.TryGetValue(text, out var id))
            {
                _special[id] = true;
            }
        }

        SpecialToken? Resolve(string? text) => text is null ? null : new SpecialToken(text, ids.TryGetValue(text, out var id) ? id : null);
        SpecialTokens = new SpecialTokens(
            Resolve(config.BeginningOfText),
            Resolve(config.EndOfText),
            Resolve(config.Padding),
            Resolve(config.Unknown),
            Enumerable.Range(0, _special.Length).Where(id => _special[id]).ToHashSet());
        _decoder = json.Decoder;
        (_prefix, _suffix) = json.Template;
        _maxBytesPerToken = extra.Count == 0 ? json.MaxBytesPerToken
            : json.MaxBytesPerToken is { } bound ? Math.Max(bound, extra.Max(t => Encoding.UTF8.GetByteCount(t.Content)) * 3 + 3) : null;
    }

    /// <summary>The <c>tokenizer.json</c> it was read from.</summary>
    public string Source { get; }

    public int VocabularySize => _tokens.Length;

    public SpecialTokens SpecialTokens { get; }

    /// <summary>The ids the post-processor adds before a text (Llama's beginning-of-text), when special tokens are added.</summary>
    public IReadOnlyList<int> AddedPrefix => _prefix;

    /// <summary>The ids the post-processor adds after a text.</summary>
    public IReadOnlyList<int> AddedSuffix => _suffix;

    /// <summary>
    /// At most how many UTF-8 bytes of text one token stands for, when the tokenizer bounds it (null: prompts are
    /// only refused after tokenizing).
    /// </summary>
    public int? MaxBytesPerToken => _maxBytesPerToken;

    /// <summary>
    /// Reads <c>tokenizer.json</c> from <paramref name="folder"/>, with <c>tokenizer_config.json</c> and
    /// <c>special_tokens_map.json</c> when present. As transformers does when it loads a fast tokenizer, the file's
    /// truncation and padding are not applied, and the config's added and special tokens that the file lacks are added.
    /// </summary>
    /// <exception cref="FileNotFoundException">No tokenizer.json.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, or Hugging Face's code refuses it; the message names it.</exception>
    /// <exception cref="NotSupportedException">A decoder or post-processor this class does not implement, named.</exception>
    public static HuggingFaceTokenizer Load(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var path = Path.Combine(folder, TokenizerJsonFile);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} is missing.", path);
        }

        var json = TokenizerJson.Read(path);
        var config = TokenizerConfig.Read(folder);
        var extra = config.MissingFrom(json);
        var adjusted = json.Overrides.Count > 0 || extra.Count > 0 ? json.WriteAdjustedCopy(extra) : null;
        try
        {
            return new HuggingFaceTokenizer(LoadNative(adjusted ?? path, path), json, config, extra);
        }
        finally
        {
            if (adjusted is not null)
            {
                File.Delete(adjusted);
            }
        }
    }

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true) => Encode(text, addSpecialTokens, int.MaxValue, CancellationToken.None);

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens, int maxTokens, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        var added = addSpecialTokens ? _prefix.Length + _suffix.Length : 0;
        if (_maxBytesPerToken is { } bound && MinimumTokens(Encoding.UTF8.GetByteCount(text), bound) + added > maxTokens)
        {
            throw new PromptTooLongException(maxTokens);
        }

        cancellationToken.ThrowIfCancellationRequested();

        // The native call cannot be interrupted: its cost is bounded by the refusal above.
        var raw = _native.Encode(WellFormed(text));
        cancellationToken.ThrowIfCancellationRequested();
        var (start, count) = addSpecialTokens ? (0, raw.Length) : WithoutTemplate(raw);
        if (count > maxTokens)
        {
            throw new PromptTooLongException(maxTokens);
        }

        var ids = new int[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = (int)raw[start + i];
        }

        return ids;
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var stream = _decoder.Start();
        foreach (var id in ids)
        {
            if (Token(id, skipSpecialTokens) is { } token)
            {
                stream.Append(token);
            }
        }

        return stream.Flush();
    }

    public ITokenStreamDecoder CreateStreamDecoder(IReadOnlyList<int> context, bool skipSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new StreamDecoder(this, context, skipSpecialTokens);
    }

    public void Dispose() => _native.Dispose();

    private static long MinimumTokens(long bytes, int bytesPerToken) => (bytes + bytesPerToken - 1) / bytesPerToken;

    private static NativeTokenizer LoadNative(string path, string source)
    {
        try
        {
            return new NativeTokenizer(path);
        }
        catch (Tokenizers.DotNet.TokenizerException e)
        {
            throw new InvalidDataException($"{source}: Hugging Face's tokenizers cannot load it: {e.Message}", e);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException or EntryPointNotFoundException)
        {
            throw new NotSupportedException(
                $"{source}: Hugging Face's tokenizers library (Tokenizers.DotNet's native hf_tokenizers) is not available on this platform: {e.Message}", e);
        }
    }

    /// <summary>The text with unpaired UTF-16 surrogates as U+FFFD: Rust strings cannot hold them.</summary>
    private static string WellFormed(string text)
    {
        var firstBad = -1;
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                firstBad = i;
                break;
            }
        }

        if (firstBad < 0)
        {
            return text;
        }

        var chars = text.ToCharArray();
        for (var i = firstBad; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(chars[i]))
            {
                chars[i] = '\uFFFD';
            }
        }

        return new string(chars);
    }

    /// <summary>The encoding less the post-processor's tokens: what Hugging Face gives with add_special_tokens=False.</summary>
    private (int Start, int Count) WithoutTemplate(uint[] raw)
    {
        var count = raw.Length - _prefix.Length - _suffix.Length;
        if (count < 0 || !_prefix.AsSpan().SequenceEqual(Array.ConvertAll(raw[.._prefix.Length], id => (int)id))
            || !_suffix.AsSpan().SequenceEqual(Array.ConvertAll(raw[^_suffix.Length..], id => (int)id)))
        {
            throw new InvalidOperationException($"{Source}: the encoding does not carry the post-processor's special tokens where its template puts them.");
        }

        return (_prefix.Length, count);
    }

    /// <summary>The token string of <paramref name="id"/>, or null for an id without one or a skipped special token.</summary>
    private string? Token(int id, bool skipSpecialTokens) =>
        (uint)id < (uint)_tokens.Length && !(skipSpecialTokens && _special[id]) ? _tokens[id] : null;

    private sealed class StreamDecoder : ITokenStreamDecoder
    {
        private readonly HuggingFaceTokenizer _tokenizer;
        private readonly DecoderChain.Stream _stream;
        private readonly bool _skipSpecialTokens;
        private ContinuationText _continuation;

        public StreamDecoder(HuggingFaceTokenizer tokenizer, IReadOnlyList<int> context, bool skipSpecialTokens)
        {
            (_tokenizer, _stream, _skipSpecialTokens) = (tokenizer, tokenizer._decoder.Start(), skipSpecialTokens);
            // The context's text is not wanted, only the state it leaves (whether a text has started, where a
            // SentencePiece decoder strips a leading space; a byte run or character still open) and what of it
            // Decode(context) would still give at the end, which the continuation's text must not repeat.
            var probe = tokenizer._decoder.Start();
            foreach (var id in context)
            {
                if (tokenizer.Token(id, skipSpecialTokens) is { } token)
                {
                    _stream.Push(token);
                    probe.Push(token);
                }
            }

            _continuation = new ContinuationText(probe.Flush());
        }

        public string Push(int id) => _tokenizer.Token(id, _skipSpecialTokens) is { } token ? _continuation.Take(_stream.Push(token)) : "";

        public string Flush() => _continuation.Take(_stream.Flush());
    }
}
