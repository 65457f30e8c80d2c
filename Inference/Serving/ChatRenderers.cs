using ChatTemplates;
using Models.Tokenization;

namespace Inference.Serving;

/// <summary>The chat renderer of a model folder, made while it loads (its files may be gone afterwards: an S3 model's temporary copy).</summary>
internal static class ChatRenderers
{
    /// <summary>
    /// The model's own template (<c>chat_template</c> in <c>tokenizer_config.json</c>, or <c>chat_template.jinja</c>),
    /// parsed here so that one this service cannot render fails the load, not the first chat; the plain template for
    /// models without one. <c>bos_token</c>/<c>eos_token</c> are <c>tokenizer_config.json</c>'s, else the tokenizer's.
    /// </summary>
    /// <exception cref="InvalidDataException">The model's template cannot be read or parsed (the message says where).</exception>
    public static IChatRenderer For(string modelFolder, ITextTokenizer tokenizer)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelFolder);
        ArgumentNullException.ThrowIfNull(tokenizer);
        try
        {
            var files = ChatTemplateFiles.Load(modelFolder);
            if (files.Select() is not { } source)
            {
                return PlainChatRenderer.Instance;
            }

            var tokens = TokensOf(tokenizer);
            return new TemplateChatRenderer(
                ChatTemplate.Parse(source),
                new ChatTokens(files.BosToken ?? tokens.BeginningOfText, files.EosToken ?? tokens.EndOfText));
        }
        catch (TemplateException e)
        {
            throw new InvalidDataException($"The model's chat template in {modelFolder} cannot be used: {e.Message}", e);
        }
    }

    /// <summary>What a template's <c>bos_token</c> and <c>eos_token</c> are for <paramref name="tokenizer"/>.</summary>
    public static ChatTokens TokensOf(ITextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return new ChatTokens(tokenizer.SpecialTokens.BeginningOfText?.Text, tokenizer.SpecialTokens.EndOfText?.Text);
    }
}
