using System.Text.Json.Nodes;
using ChatTemplates.Jinja;

namespace ChatTemplates;

/// <summary>
/// A parsed Hugging Face chat template: the Jinja subset that real templates use, rendered as transformers'
/// <c>apply_chat_template</c> renders it (<c>trim_blocks</c>, <c>lstrip_blocks</c>, <c>tojson</c>,
/// <c>raise_exception</c>, <c>strftime_now</c>, <c>{% generation %}</c>, loop controls). Parse once, at startup;
/// a parsed template is immutable and renders concurrently from any number of threads.
/// </summary>
public sealed class ChatTemplate
{
    private readonly List<Node> _body;

    private ChatTemplate(string source, List<Node> body, TemplateLimits limits)
    {
        Source = source;
        _body = body;
        Limits = limits;
    }

    /// <summary>The template's source as given.</summary>
    public string Source { get; }

    public TemplateLimits Limits { get; }

    /// <summary>Parses <paramref name="source"/>. Throws <see cref="TemplateSyntaxException"/> with the line and
    /// column for a syntax error, and for any tag, filter, test, function or method outside the supported
    /// subset, so an unsupported template fails here rather than at its first render.</summary>
    public static ChatTemplate Parse(string source, TemplateLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        limits ??= TemplateLimits.Default;
        return new ChatTemplate(source, Parser.Parse(source, limits), limits);
    }

    /// <summary>Renders a conversation, with the variables transformers passes: <c>messages</c>, <c>tools</c>,
    /// <c>documents</c>, <c>add_generation_prompt</c>, the special tokens, then
    /// <see cref="ChatTemplateContext.Variables"/> (which win).</summary>
    /// <exception cref="TemplateRaisedException">The template called <c>raise_exception</c>.</exception>
    /// <exception cref="TemplateRenderException">The template failed on these values.</exception>
    /// <exception cref="TemplateLimitException">The render passed one of <see cref="Limits"/>.</exception>
    public string Render(ChatTemplateContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Render(context.ToVariables(), context.Clock);
    }

    /// <summary>Renders with exactly the given variables (JSON values; a null node is None).</summary>
    public string Render(IReadOnlyDictionary<string, JsonNode?> variables, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var scope = new Scope(Globals.CreateScope());
        foreach (var (name, value) in variables)
        {
            scope.Set(name, PyJson.FromNode(value));
        }
        return new Evaluator(Limits, clock ?? TimeProvider.System).Render(_body, scope);
    }
}
