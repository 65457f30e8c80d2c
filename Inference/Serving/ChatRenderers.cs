using Models.Tokenization;

namespace Inference.Serving;

/// <summary>The chat renderer of a model folder, made while it loads (its files may be gone afterwards: an S3 model's temporary copy).</summary>
internal static class ChatRenderers
{
    /// <summary>
    /// The plain template for now. The model's own template (<c>chat_template</c> in <c>tokenizer_config.json</c>, or
    /// <c>chat_template.jinja</c>) plugs in here: parsed once, rendered with <paramref name="tokenizer"/>'s
    /// <see cref="ChatTokens"/>, its prompts tokenized without adding special tokens again.
    /// </summary>
    public static IChatRenderer For(string modelFolder, ITextTokenizer tokenizer)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelFolder);
        ArgumentNullException.ThrowIfNull(tokenizer);
        return PlainChatRenderer.Instance;
    }

    /// <summary>What a template's <c>bos_token</c> and <c>eos_token</c> are for <paramref name="tokenizer"/>.</summary>
    public static ChatTokens TokensOf(ITextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return new ChatTokens(tokenizer.SpecialTokens.BeginningOfText?.Text, tokenizer.SpecialTokens.EndOfText?.Text);
    }
}
