using ChatTemplates;

namespace Inference.Serving;

/// <summary>
/// A model's own chat template (Jinja, from <c>tokenizer_config.json</c> or <c>chat_template.jinja</c>), rendered as
/// Hugging Face's <c>apply_chat_template(messages, add_generation_prompt=True)</c>: with the tokenizer's
/// <c>bos_token</c> and <c>eos_token</c>, no tools. The template writes the special tokens itself, so its prompt is
/// tokenized without adding them again; the reply ends at the model's end-of-text ids, not at a stop sequence.
/// </summary>
internal sealed class TemplateChatRenderer(ChatTemplate template, ChatTokens tokens) : IChatRenderer
{
    public ChatPrompt Render(IReadOnlyList<ChatTurn> turns)
    {
        ArgumentNullException.ThrowIfNull(turns);
        var context = new ChatTemplateContext
        {
            Messages = [.. turns.Select(t => new ChatMessage { Role = t.Role, Content = t.Content })],
            BosToken = tokens.BeginningOfText,
            EosToken = tokens.EndOfText,
            AddGenerationPrompt = true,
        };
        try
        {
            return new ChatPrompt(template.Render(context), [], AddSpecialTokens: false);
        }
        catch (TemplateRaisedException e)
        {
            throw new InvalidRequestException($"The model's chat template refuses these messages: {e.Reason}", "messages");
        }
        catch (TemplateLimitException e)
        {
            throw new InvalidRequestException($"The chat is too large for the model's chat template: {e.Reason}", "messages");
        }
    }
}
