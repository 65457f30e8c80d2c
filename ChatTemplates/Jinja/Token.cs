namespace ChatTemplates.Jinja;

internal enum TokenKind
{
    /// <summary>Literal template text, whitespace control already applied.</summary>
    Text,
    /// <summary><c>{{</c></summary>
    VariableBegin,
    /// <summary><c>}}</c></summary>
    VariableEnd,
    /// <summary><c>{%</c></summary>
    BlockBegin,
    /// <summary><c>%}</c></summary>
    BlockEnd,
    Name,
    Integer,
    Float,
    String,
    /// <summary>Punctuation and operators: <c>( ) [ ] { } , . : | + - * / // % ** ~ = == != &lt; &lt;= &gt; &gt;=</c>.</summary>
    Operator,
    End,
}

/// <summary>One token. <see cref="Value"/> is the text (a string literal's decoded value, an operator's spelling);
/// <see cref="Number"/> holds an integer's or a float's value.</summary>
internal readonly record struct Token(TokenKind Kind, string Value, int Line, int Column, object? Number = null)
{
    public bool Is(TokenKind kind, string value) => Kind == kind && Value == value;

    public bool IsOperator(string op) => Kind == TokenKind.Operator && Value == op;

    public bool IsName(string name) => Kind == TokenKind.Name && Value == name;

    public string Describe() => Kind switch
    {
        TokenKind.End => "the end of the template",
        TokenKind.Text => "template text",
        TokenKind.VariableBegin => "'{{'",
        TokenKind.VariableEnd => "'}}'",
        TokenKind.BlockBegin => "'{%'",
        TokenKind.BlockEnd => "'%}'",
        TokenKind.String => "a string",
        TokenKind.Integer or TokenKind.Float => $"the number {Value}",
        _ => $"'{Value}'",
    };
}
