using Inference.Protocols.OpenAI;
using Models.Generation;
using Models.Tokenization;

namespace Inference.Protocols;

/// <summary>
/// A request's prompt tokenized at a bounded cost: never past the tokens the context leaves it (a longer prompt is
/// refused as the protocol's 400, often before any tokenizing), and stopped when the client leaves.
/// </summary>
internal static class PromptTokens
{
    /// <summary>KServe V1/V2: the prompt and <c>max_new_tokens</c> must fit the context; else <see cref="InvalidRequestException"/>.</summary>
    public static IReadOnlyList<int> ForKServe(TextGenerator generator, string prompt, GenerationOptions options, CancellationToken cancellationToken)
    {
        var context = generator.Model.Config.ContextLength;
        var limit = Limit(context - (long)options.MaxNewTokens);
        try
        {
            return generator.Tokenizer.Encode(prompt, limit, cancellationToken);
        }
        catch (PromptTooLongException)
        {
            throw new InvalidRequestException(
                $"This model's maximum context length is {context} tokens. However, you requested more than {context} tokens " +
                $"(more than {limit} in the prompt, {options.MaxNewTokens} to generate).");
        }
    }

    /// <summary>
    /// OpenAI: the prompt and <paramref name="maxTokens"/> must fit the context (with none given, the prompt must leave
    /// room for one token); else <c>context_length_exceeded</c>, as <see cref="ContextWindow"/> answers.
    /// </summary>
    public static IReadOnlyList<int> ForOpenAI(TextGenerator generator, string prompt, int? maxTokens, string param, CancellationToken cancellationToken)
    {
        var context = generator.Model.Config.ContextLength;
        var limit = Limit(context - (long)(maxTokens ?? 1));
        var what = param == "messages" ? "messages" : "prompt";
        try
        {
            return generator.Tokenizer.Encode(prompt, limit, cancellationToken);
        }
        catch (PromptTooLongException)
        {
            throw OpenAIException.Invalid(
                maxTokens is { } requested
                    ? $"This model's maximum context length is {context} tokens. However, you requested more than {context} tokens " +
                      $"(more than {limit} in the {what}, {requested} in the completion). Please reduce the length of the {what} or completion."
                    : $"This model's maximum context length is {context} tokens. However, your {what} resulted in more than {limit} tokens, " +
                      $"which leaves no room for the completion. Please reduce the length of the {what}.",
                param,
                "context_length_exceeded");
        }
    }

    private static int Limit(long tokensLeft) => (int)Math.Clamp(tokensLeft, 0, int.MaxValue);
}
