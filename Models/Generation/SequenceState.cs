using Models.Architectures;
using Models.Tokenization;

namespace Models.Generation;

/// <summary>One sequence in a batch: its prompt, its sampler, what it generated so far and why it stopped.</summary>
internal sealed class SequenceState
{
    private readonly TokenSampler _sampler;
    private readonly ITokenStreamDecoder _decoder;
    private readonly StopSequenceWatcher _stops;
    private readonly List<int> _generated = [];
    private readonly List<int> _seen;
    private readonly System.Text.StringBuilder _text = new();
    private readonly IReadOnlySet<int> _stopTokenIds;
    private FinishReason? _finish;
    private Exception? _error;

    /// <param name="stopTokenIds">The end-of-text ids it stops at (unless the options say not to); by default the model's.</param>
    public SequenceState(IReadOnlyList<int> prompt, GenerationOptions options, ITextTokenizer tokenizer, ModelConfig config, IReadOnlySet<int>? stopTokenIds = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tokenizer);
        options.Validate();
        if (prompt.Count == 0)
        {
            throw new ArgumentException("The prompt is empty.", nameof(prompt));
        }

        if ((long)prompt.Count + options.MaxNewTokens > config.ContextLength)
        {
            throw new ArgumentException(
                $"The prompt ({prompt.Count} tokens) plus max_new_tokens ({options.MaxNewTokens}) exceeds the model's context of {config.ContextLength} tokens.");
        }

        for (var i = 0; i < prompt.Count; i++)
        {
            if ((uint)prompt[i] >= (uint)config.VocabularySize)
            {
                throw new ArgumentException($"Prompt token {prompt[i]} at {i} is outside the model's vocabulary of {config.VocabularySize}.", nameof(prompt));
            }
        }

        Prompt = prompt;
        Options = options;
        _sampler = new TokenSampler(options);
        // The generated text leaves special tokens out, as vLLM's and Hugging Face's servers do by default.
        _decoder = tokenizer.CreateStreamDecoder(prompt, skipSpecialTokens: true);
        _stops = new StopSequenceWatcher(options.StopSequences);
        _seen = [.. prompt];
        _stopTokenIds = !options.StopAtEndOfText ? new HashSet<int>()
            : stopTokenIds ?? config.EndOfTextIds.ToHashSet(); // every end-of-text id (Llama 3 has several)
        if (options.MaxNewTokens == 0)
        {
            _finish = FinishReason.Length;
        }
    }

    public IReadOnlyList<int> Prompt { get; }

    public GenerationOptions Options { get; }

    public IReadOnlyList<int> Generated => _generated;

    public bool Done => _finish is not null;

    /// <summary>Samples the next token from this sequence's logits and records it; returns it.</summary>
    public int Append(Span<float> logits, int index, Action<int, GeneratedToken>? onToken)
    {
        var token = _sampler.Next(logits, _seen);
        _generated.Add(token);
        _seen.Add(token);
        string text;
        if (_stopTokenIds.Contains(token))
        {
            text = _stops.Push(_decoder.Flush()) + _stops.Flush();
            _finish = FinishReason.Stop;
        }
        else
        {
            text = _stops.Push(_decoder.Push(token));
            if (_stops.Stopped)
            {
                _finish = FinishReason.Stop;
            }
            else if (_generated.Count >= Options.MaxNewTokens)
            {
                text += _stops.Push(_decoder.Flush()) + _stops.Flush();
                _finish = FinishReason.Length;
            }
        }

        _text.Append(text);
        onToken?.Invoke(index, new GeneratedToken(token, text, _finish));
        return token;
    }

    /// <summary>The caller is gone: stop generating for this sequence; the rest of the batch goes on.</summary>
    public void Cancel() => _finish ??= FinishReason.Cancelled;

    /// <summary>This sequence broke (its sampling threw): it stops with the error; the rest of the batch goes on.</summary>
    public void Fail(Exception error)
    {
        _finish = FinishReason.Failed;
        _error = error;
    }

    public GenerationResult Result() => new(Prompt, _generated, _text.ToString(), _finish ?? FinishReason.Length) { Error = _error };

    /// <summary>A sequence that could not even start (its setup threw), reported like one that failed later.</summary>
    public static GenerationResult Failed(IReadOnlyList<int> prompt, Exception error) => new(prompt, [], "", FinishReason.Failed) { Error = error };
}
