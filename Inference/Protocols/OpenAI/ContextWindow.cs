using Inference.Serving;

namespace Inference.Protocols.OpenAI;

/// <summary>The token budget of one prompt: its max_tokens resolved against the model's context, with OpenAI's overflow error.</summary>
internal static class ContextWindow
{
    /// <summary>
    /// The tokens to generate: <paramref name="maxTokens"/>, or with none given, all the context leaves, up to the
    /// model's <paramref name="defaultMaxTokens"/> (generation_config.json's max_new_tokens) if it has one. Throws 400
    /// <c>context_length_exceeded</c> when the prompt and the completion do not fit.
    /// </summary>
    public static int MaxNewTokens(int promptTokens, int? maxTokens, int context, string param, int? defaultMaxTokens = null)
    {
        var what = param == "messages" ? "messages" : "prompt";
        if (maxTokens is { } requested)
        {
            return promptTokens + (long)requested <= context ? requested : throw Exceeded(
                $"This model's maximum context length is {context} tokens. However, you requested {promptTokens + (long)requested} tokens " +
                $"({promptTokens} in the {what}, {requested} in the completion). Please reduce the length of the {what} or completion.", param);
        }

        return promptTokens < context ? Math.Min(context - promptTokens, defaultMaxTokens ?? int.MaxValue) : throw Exceeded(
            $"This model's maximum context length is {context} tokens. However, your {what} resulted in {promptTokens} tokens, " +
            $"which leaves no room for the completion. Please reduce the length of the {what}.", param);
    }

    private static InvalidRequestException Exceeded(string message, string param) => new InvalidRequestException(message, param, "context_length_exceeded");
}
