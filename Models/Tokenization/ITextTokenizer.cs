namespace Models.Tokenization;

/// <summary>
/// A model's tokenizer, whichever files it comes from (<see cref="TextTokenizers.Load"/> decides): text to token ids
/// and back, its special tokens, and decoding token by token for streaming. Implementations are thread-safe.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>One past the largest id the tokenizer knows (a model's embedding may be larger).</summary>
    int VocabularySize { get; }

    /// <summary>The beginning- and end-of-text tokens and every id that is a special token.</summary>
    SpecialTokens SpecialTokens { get; }

    /// <summary>
    /// Token ids for <paramref name="text"/>. With <paramref name="addSpecialTokens"/>, the tokens the tokenizer's
    /// post-processor adds (Llama's beginning-of-text) are added, as Hugging Face's <c>encode</c> does by default; a
    /// prompt that already holds them (a rendered chat template) is encoded without. Special tokens written in the
    /// text always map to their ids.
    /// </summary>
    IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true);

    /// <summary>
    /// As <see cref="Encode(string, bool)"/>, with a bounded cost: a text whose length alone proves that it needs more
    /// than <paramref name="maxTokens"/> tokens is refused before tokenizing, and any text that does is refused.
    /// </summary>
    /// <exception cref="PromptTooLongException">The text needs more than <paramref name="maxTokens"/> tokens.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    IReadOnlyList<int> Encode(string text, bool addSpecialTokens, int maxTokens, CancellationToken cancellationToken);

    /// <summary>
    /// The text of <paramref name="ids"/> as Hugging Face's <c>decode</c> gives it (without
    /// <c>clean_up_tokenization_spaces</c>); ids without a token (a model's padding rows) decode to nothing.
    /// </summary>
    string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false);

    /// <summary>
    /// A decoder for the tokens that follow <paramref name="context"/> (the prompt): the pieces it returns
    /// concatenate to <c>Decode(context + tokens)</c> minus <c>Decode(context)</c>, so a continuation keeps the
    /// leading space a SentencePiece tokenizer strips from a text's start, and a character split over several
    /// tokens comes out whole, once complete. Not thread-safe: one per sequence.
    /// </summary>
    ITokenStreamDecoder CreateStreamDecoder(IReadOnlyList<int> context, bool skipSpecialTokens);
}

/// <summary>Decodes generated tokens one at a time (see <see cref="ITextTokenizer.CreateStreamDecoder"/>).</summary>
public interface ITokenStreamDecoder
{
    /// <summary>Adds one token; returns the text it completes (empty while a character is still partial).</summary>
    string Push(int id);

    /// <summary>Ends the stream: returns what was held back (incomplete bytes as U+FFFD).</summary>
    string Flush();
}

/// <summary>A special token: its text (what chat templates write) and its id, when the vocabulary has it.</summary>
public sealed record SpecialToken(string Text, int? Id);

/// <summary>
/// A tokenizer's special tokens: beginning and end of text, padding and unknown (each when it has one, from
/// <c>tokenizer_config.json</c> or <c>special_tokens_map.json</c>), and every id that
/// <c>skip_special_tokens</c> drops.
/// </summary>
public sealed record SpecialTokens(SpecialToken? BeginningOfText, SpecialToken? EndOfText, SpecialToken? Padding, SpecialToken? Unknown, IReadOnlySet<int> Ids)
{
    public static SpecialTokens None { get; } = new(null, null, null, null, new HashSet<int>());
}
