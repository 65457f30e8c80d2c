using Models.Architectures;
using Models.Tokenization;

namespace Models.Generation;

/// <summary>One sequence in a batch: its prompt, its sampler, what it generated so far and why it stopped.</summary>
internal sealed class SequenceState
{
    private readonly TokenSampler _sampler;
    private readonly StreamingDecoder _decoder;
    private readonly StopSequenceWatcher _stops;
    private readonly List<int> _generated = [];
    private readonly List<int> _seen;
    private readonly System.Text.StringBuilder _text = new();
    private readonly IReadOnlyList<int> _endOfText;
    private FinishReason? _finish;
    private Exception? _error;

    public SequenceState(IReadOnlyList<int> prompt, GenerationOptions options, ModelTokenizer tokenizer, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(options);
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
        _decoder = new StreamingDecoder(tokenizer);
        _stops = new StopSequenceWatcher(options.StopSequences);
        _seen = [.. prompt];
        _endOfText = options.StopAtEndOfText ? config.EndOfTextIds : []; // every end-of-text id (Llama 3 has several)
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
        if (_endOfText.Contains(token))
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
