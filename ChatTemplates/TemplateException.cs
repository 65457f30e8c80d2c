namespace ChatTemplates;

/// <summary>
/// A chat template could not be parsed or rendered. <see cref="Line"/> and <see cref="Column"/> (1-based) name the
/// place in the template source; both are 0 where no place applies (a limit of the whole render, a missing file).
/// </summary>
public class TemplateException : Exception
{
    public TemplateException(string message, int line = 0, int column = 0, Exception? inner = null)
        : base(Describe(message, line, column), inner)
    {
        Reason = message;
        Line = line;
        Column = column;
    }

    public TemplateException() : this("The chat template failed.") { }

    public TemplateException(string message) : this(message, 0, 0) { }

    public TemplateException(string message, Exception inner) : this(message, 0, 0, inner) { }

    /// <summary>The message without the position.</summary>
    public string Reason { get; }

    public int Line { get; }

    public int Column { get; }

    private static string Describe(string message, int line, int column) =>
        line > 0 ? $"{message} (chat template line {line}, column {column})" : message;
}

/// <summary>The template's source is not in the supported Jinja subset: a syntax error, or a tag, filter, test,
/// function or method this renderer does not have. Raised by <see cref="ChatTemplate.Parse"/>.</summary>
public sealed class TemplateSyntaxException : TemplateException
{
    public TemplateSyntaxException(string message, int line, int column) : base(message, line, column) { }

    public TemplateSyntaxException() { }

    public TemplateSyntaxException(string message) : base(message) { }

    public TemplateSyntaxException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>Rendering failed on the values given: a type error, an unsupported operation on a value, a call of
/// something undefined. Python's Jinja would raise at the same place.</summary>
public sealed class TemplateRenderException : TemplateException
{
    public TemplateRenderException(string message, int line, int column, Exception? inner = null)
        : base(message, line, column, inner) { }

    public TemplateRenderException() { }

    public TemplateRenderException(string message) : base(message) { }

    public TemplateRenderException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// The template itself refused the input through <c>raise_exception(message)</c> (for example "Conversation roles
/// must alternate user/assistant/user/assistant/..."). <see cref="TemplateException.Reason"/> is the template's
/// message exactly: a client error, as Hugging Face's <c>TemplateError</c>.
/// </summary>
public sealed class TemplateRaisedException : TemplateException
{
    public TemplateRaisedException(string message, int line, int column) : base(message, line, column) { }

    public TemplateRaisedException() { }

    public TemplateRaisedException(string message) : base(message) { }

    public TemplateRaisedException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>Rendering went past one of the <see cref="TemplateLimits"/>: output size, loop iterations, evaluation
/// steps, call depth or a collection's size.</summary>
public sealed class TemplateLimitException : TemplateException
{
    public TemplateLimitException(string message, int line, int column) : base(message, line, column) { }

    public TemplateLimitException() { }

    public TemplateLimitException(string message) : base(message) { }

    public TemplateLimitException(string message, Exception inner) : base(message, inner) { }
}
