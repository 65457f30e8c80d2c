using Inference.Serving;
using Models.Tokenization;

namespace Inference.Protocols;

/// <summary>
/// A request's prompt tokenized at a bounded cost: never past the model's context (a longer prompt is refused as
/// a 400, before any tokenizing when its bytes alone prove it), and stopped when the client leaves.
/// </summary>
/// <remarks>
/// The limit is the whole context rather than what max_new_tokens leaves: the cost bound is the same, and a prompt
/// that fits the context gets the exact counts in the error the protocol's own check then gives.
/// </remarks>
internal static class PromptTokens
{
    /// <summary>KServe V1/V2: a prompt longer than the context is an <see cref="InvalidRequestException"/>.</summary>
    public static IReadOnlyList<int> ForKServe(IServedModel model, string prompt, CancellationToken cancellationToken)
    {
        var context = model.Info.ContextLength;
        try
        {
            return model.Encode(prompt, addSpecialTokens: true, context, cancellationToken);
        }
        catch (PromptTooLongException)
        {
            throw new InvalidRequestException($"This model's maximum context length is {context} tokens. However, the prompt is longer than that.");
        }
    }

    /// <summary>
    /// OpenAI: a prompt longer than the context is <c>context_length_exceeded</c>, as <see cref="OpenAI.ContextWindow"/>
    /// answers. A completion's prompt gets the tokenizer's special tokens, as vLLM's; a rendered chat says whether it does.
    /// </summary>
    public static IReadOnlyList<int> ForOpenAI(IServedModel model, string prompt, string param, CancellationToken cancellationToken, bool addSpecialTokens = true)
    {
        var context = model.Info.ContextLength;
        try
        {
            return model.Encode(prompt, addSpecialTokens, context, cancellationToken);
        }
        catch (PromptTooLongException)
        {
            var what = param == "messages" ? "messages" : "prompt";
            throw new InvalidRequestException(
                $"This model's maximum context length is {context} tokens. However, your {what} resulted in more than {context} tokens. " +
                $"Please reduce the length of the {what}.",
                param,
                "context_length_exceeded");
        }
    }
}
