using Models.Generation;
using Models.Tokenization;

namespace Inference.Serving;

/// <summary>
/// The served model as every protocol's handlers see it, and all they see of it: its name and readiness, its limits,
/// text to tokens and back, chats rendered as prompts, and generation. Any member may be called at any time: those
/// that need the loaded model throw <see cref="ModelNotReadyException"/> (a 503 in every protocol) until it is
/// loaded, so no handler depends on checking readiness first. The architecture, tokenizer, chat template and
/// scheduling engine are behind it: a new model family or serving engine changes its implementation, not the handlers.
/// </summary>
public interface IServedModel
{
    /// <summary>The name clients address it by (<c>MODEL_NAME</c>); known before the load.</summary>
    string Name { get; }

    /// <summary>Loaded and warmed up: requests can be served.</summary>
    bool IsReady { get; }

    /// <summary>The loaded model's context, vocabulary and end-of-text token.</summary>
    /// <exception cref="ModelNotReadyException">Not loaded.</exception>
    ModelInfo Info { get; }

    /// <summary>
    /// Tokenizes <paramref name="text"/>, refusing past <paramref name="maxTokens"/> at a bounded cost. With
    /// <paramref name="addSpecialTokens"/> the tokenizer's own (Llama's beginning-of-text) are added, as for a
    /// completion's prompt; a rendered chat says whether it wants them (<see cref="ChatPrompt.AddSpecialTokens"/>).
    /// </summary>
    /// <exception cref="PromptTooLongException">The text has more than <paramref name="maxTokens"/> tokens.</exception>
    /// <exception cref="OperationCanceledException">The caller left.</exception>
    /// <exception cref="ModelNotReadyException">Not loaded.</exception>
    IReadOnlyList<int> Encode(string text, bool addSpecialTokens, int maxTokens, CancellationToken cancellationToken);

    /// <summary>The text of <paramref name="tokens"/>, special tokens included unless <paramref name="skipSpecialTokens"/>.</summary>
    /// <exception cref="ModelNotReadyException">Not loaded.</exception>
    string Decode(IReadOnlyList<int> tokens, bool skipSpecialTokens = false);

    /// <summary>The prompt for the model's turn after <paramref name="turns"/> (roles system, developer, user, assistant), in the model's chat format.</summary>
    /// <exception cref="ModelNotReadyException">Not loaded (a template may come with the model's files).</exception>
    ChatPrompt RenderChat(IReadOnlyList<ChatTurn> turns);

    /// <summary>
    /// Queues one prompt's generation; tokens stream from the returned request, which completes with the result.
    /// Cancelling <paramref name="cancellationToken"/> withdraws it, waiting or running.
    /// </summary>
    /// <exception cref="InvalidRequestException">An empty prompt, or more tokens than the context holds.</exception>
    /// <exception cref="QueueFullException">Too many requests are waiting.</exception>
    /// <exception cref="ModelNotReadyException">Not loaded.</exception>
    GenerationRequest Submit(IReadOnlyList<int> prompt, GenerationOptions options, CancellationToken cancellationToken);
}

/// <summary>What requests are bounded and completed by: the context (prompt and completion together), the vocabulary, end-of-text.</summary>
public sealed record ModelInfo(int ContextLength, int VocabularySize, int? EndOfTextId)
{
    /// <summary>
    /// The model folder's <c>generation_config.json</c>: the sampling settings (temperature, top_p, top_k,
    /// repetition_penalty, max_new_tokens) a request gets where it names none.
    /// </summary>
    public GenerationDefaults Defaults { get; init; } = GenerationDefaults.None;
}

/// <summary>One message of a chat: its role and its text.</summary>
public sealed record ChatTurn(string Role, string Content);

/// <summary>
/// A chat rendered for the model: the prompt text, where the model's reply ends (added to the request's stops),
/// and whether the tokenizer's special tokens are still to be added: a model's chat template writes them itself
/// (<c>bos_token</c>), so its prompt is tokenized without adding them again; the plain template writes none.
/// </summary>
public sealed record ChatPrompt(string Text, IReadOnlyList<string> StopSequences, bool AddSpecialTokens = false);
