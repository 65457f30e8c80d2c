using System.Runtime.CompilerServices;

namespace ChatTemplates.Jinja;

/// <summary>
/// Builds the syntax tree from the tokens, and checks at parse time everything that can be checked then: every
/// tag, filter and test is one this renderer has, every called name is a global or a macro or a variable the
/// template sets, every called method is a known str, dict or list method, and <c>break</c>/<c>continue</c> sit
/// in a loop. A template that passes can still fail on particular values, as in Python's Jinja.
/// </summary>
internal sealed class Parser
{
    private static readonly HashSet<string> UnsupportedTags =
        ["raw", "include", "import", "from", "extends", "block", "autoescape", "do", "trans", "pluralize"];

    private static readonly HashSet<string> EndTags =
    [
        "endfor", "endif", "elif", "else", "endset", "endmacro", "endfilter", "endwith", "endgeneration",
        "endcall", "endraw", "endblock", "endautoescape",
    ];

    private readonly List<Token> _tokens;
    private readonly int _maxDepth;
    private readonly List<NameExpr> _calledNames = [];
    private readonly HashSet<string> _assignedNames = [];
    private readonly Stack<HashSet<string>> _macroReads = new();
    private int _pos;
    private int _depth;
    private int _loopDepth;

    private Parser(List<Token> tokens, int maxDepth)
    {
        _tokens = tokens;
        _maxDepth = maxDepth;
    }

    public static List<Node> Parse(string source, TemplateLimits limits)
    {
        if (source.Length > limits.MaxTemplateLength)
        {
            throw new TemplateSyntaxException($"The template has {source.Length} characters, more than the limit of {limits.MaxTemplateLength}");
        }
        var parser = new Parser(Lexer.Tokenize(source), limits.MaxNestingDepth);
        var body = parser.ParseBody([], out _);
        parser.CheckCalledNames();
        return body;
    }

    private Token Current => _tokens[_pos];

    private Token Peek(int ahead = 1) => _tokens[Math.Min(_pos + ahead, _tokens.Count - 1)];

    private Token Advance() => _tokens[_pos < _tokens.Count - 1 ? _pos++ : _pos];

    private static TemplateSyntaxException Error(string message, Token at) => new(message, at.Line, at.Column);

    private Token Expect(TokenKind kind, string? value, string what)
    {
        var t = Current;
        if (t.Kind != kind || (value is not null && t.Value != value))
        {
            throw Error($"Expected {what}, found {t.Describe()}", t);
        }
        return Advance();
    }

    private void ExpectOperator(string op) => Expect(TokenKind.Operator, op, $"'{op}'");

    private string ExpectName(string what) => Expect(TokenKind.Name, null, what).Value;

    private void ExpectBlockEnd() => Expect(TokenKind.BlockEnd, null, "'%}'");

    private void Enter(Token at)
    {
        if (++_depth > _maxDepth)
        {
            throw Error($"The template nests deeper than the limit of {_maxDepth}", at);
        }
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw Error("The template nests too deeply to parse", at);
        }
    }

    private void Leave() => _depth--;

    /// <summary>Nodes up to a block tag named in <paramref name="stop"/> (its <c>{%</c> and name consumed, the
    /// name returned in <paramref name="stoppedAt"/>), or to the end of the template when <paramref name="stop"/>
    /// is empty.</summary>
    private List<Node> ParseBody(string[] stop, out Token stoppedAt, Token? opener = null)
    {
        var nodes = new List<Node>();
        while (true)
        {
            var t = Current;
            switch (t.Kind)
            {
                case TokenKind.End:
                    if (stop.Length > 0)
                    {
                        var expected = string.Join(" or ", stop.Select(s => $"'{s}'"));
                        throw Error($"Unexpected end of template: the '{opener!.Value.Value}' tag at line {opener.Value.Line}, column {opener.Value.Column} is never closed (expected {expected})", t);
                    }
                    stoppedAt = t;
                    return nodes;
                case TokenKind.Text:
                    Advance();
                    nodes.Add(new TextNode(t.Line, t.Column, t.Value));
                    break;
                case TokenKind.VariableBegin:
                    Advance();
                    var expr = ParseTuple(withCondition: true);
                    Expect(TokenKind.VariableEnd, null, "'}}'");
                    nodes.Add(new OutputNode(t.Line, t.Column, expr));
                    break;
                case TokenKind.BlockBegin:
                    Advance();
                    var name = Current;
                    if (name.Kind != TokenKind.Name)
                    {
                        throw Error($"Expected a tag name after '{{%', found {name.Describe()}", name);
                    }
                    if (Array.IndexOf(stop, name.Value) >= 0)
                    {
                        Advance();
                        stoppedAt = name;
                        return nodes;
                    }
                    if (name.Value == "generation")
                    {
                        // Hugging Face's {% generation %} marks assistant text for its token mask; it renders as its body.
                        Advance();
                        ExpectBlockEnd();
                        nodes.AddRange(ParseBody(["endgeneration"], out _, name));
                        ExpectBlockEnd();
                        break;
                    }
                    nodes.Add(ParseStatement(name));
                    break;
                default:
                    throw Error($"Unexpected {t.Describe()}", t);
            }
        }
    }

    private Node ParseStatement(Token name)
    {
        Enter(name);
        try
        {
            switch (name.Value)
            {
                case "if": Advance(); return ParseIf(name);
                case "for": Advance(); return ParseFor(name);
                case "set": Advance(); return ParseSet(name);
                case "macro": Advance(); return ParseMacro(name);
                case "filter": Advance(); return ParseFilterBlock(name);
                case "with": Advance(); return ParseWith(name);
                case "call": Advance(); return ParseCallBlock(name);
                case "break" or "continue":
                    Advance();
                    if (_loopDepth == 0)
                    {
                        throw Error($"'{name.Value}' outside a for loop", name);
                    }
                    ExpectBlockEnd();
                    return name.Value == "break" ? new BreakNode(name.Line, name.Column) : new ContinueNode(name.Line, name.Column);
            }
            if (UnsupportedTags.Contains(name.Value))
            {
                throw Error($"The tag '{name.Value}' is not supported by this chat template renderer", name);
            }
            if (EndTags.Contains(name.Value))
            {
                throw Error($"Unexpected '{name.Value}': no open tag takes it here", name);
            }
            throw Error($"Unknown tag '{name.Value}'", name);
        }
        finally
        {
            Leave();
        }
    }

    private IfNode ParseIf(Token start)
    {
        var branches = new List<(Expr, List<Node>)>();
        var opener = start;
        while (true)
        {
            var test = ParseTuple(withCondition: true);
            ExpectBlockEnd();
            var body = ParseBody(["elif", "else", "endif"], out var end, opener);
            branches.Add((test, body));
            switch (end.Value)
            {
                case "elif":
                    opener = end;
                    continue;
                case "else":
                    ExpectBlockEnd();
                    var otherwise = ParseBody(["endif"], out _, end);
                    ExpectBlockEnd();
                    return new IfNode(start.Line, start.Column, branches, otherwise);
                default:
                    ExpectBlockEnd();
                    return new IfNode(start.Line, start.Column, branches, null);
            }
        }
    }

    private ForNode ParseFor(Token start)
    {
        var target = ParseTarget(allowAttribute: false);
        Expect(TokenKind.Name, "in", "'in'");
        var iterable = ParseTuple(withCondition: false);
        Expr? filter = null;
        if (Current.IsName("if"))
        {
            Advance();
            filter = ParseExpression(withCondition: true);
        }
        if (Current.IsName("recursive"))
        {
            throw Error("Recursive for loops are not supported by this chat template renderer", Current);
        }
        ExpectBlockEnd();
        _loopDepth++;
        var body = ParseBody(["else", "endfor"], out var end, start);
        _loopDepth--;
        List<Node>? otherwise = null;
        if (end.Value == "else")
        {
            ExpectBlockEnd();
            otherwise = ParseBody(["endfor"], out _, end);
        }
        ExpectBlockEnd();
        return new ForNode(start.Line, start.Column, target, iterable, filter, body, otherwise);
    }

    private Node ParseSet(Token start)
    {
        var target = ParseTarget(allowAttribute: true);
        if (Current.IsOperator("="))
        {
            Advance();
            var value = ParseTuple(withCondition: true);
            ExpectBlockEnd();
            return new SetNode(start.Line, start.Column, target, value);
        }
        if (target is not NameTarget)
        {
            throw Error("A block set takes one name", start);
        }
        var filters = ParseFilterChain(requireOne: false);
        ExpectBlockEnd();
        var body = ParseBody(["endset"], out _, start);
        ExpectBlockEnd();
        return new SetBlockNode(start.Line, start.Column, target, filters, body);
    }

    private MacroNode ParseMacro(Token start)
    {
        var name = ExpectName("a macro name");
        _assignedNames.Add(name);
        var parameters = ParseParameters(start);
        ExpectBlockEnd();
        var body = ParseMacroBody(["endmacro"], start, out var reads);
        if (Current.Kind == TokenKind.Name)
        {
            Advance();
        }
        ExpectBlockEnd();
        return new MacroNode(start.Line, start.Column, name, parameters, body)
        {
            CatchesVarargs = reads.Contains("varargs"),
            CatchesKwargs = reads.Contains("kwargs"),
        };
    }

    /// <summary>A macro's (or a call block's) body: loops outside do not reach in, and the names it reads are
    /// noted (<c>varargs</c>, <c>kwargs</c>).</summary>
    private List<Node> ParseMacroBody(string[] end, Token start, out HashSet<string> reads)
    {
        var loops = _loopDepth;
        _loopDepth = 0;
        reads = [];
        _macroReads.Push(reads);
        try
        {
            return ParseBody(end, out _, start);
        }
        finally
        {
            _macroReads.Pop();
            _loopDepth = loops;
        }
    }

    private List<(string, Expr?)> ParseParameters(Token start)
    {
        ExpectOperator("(");
        var parameters = new List<(string, Expr?)>();
        while (!Current.IsOperator(")"))
        {
            if (parameters.Count > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator(")"))
                {
                    break;
                }
            }
            var p = ExpectName("a parameter name");
            _assignedNames.Add(p);
            Expr? fallback = null;
            if (Current.IsOperator("="))
            {
                Advance();
                fallback = ParseExpression(withCondition: true);
            }
            else if (parameters.Count > 0 && parameters[^1].Item2 is not null)
            {
                throw Error($"The parameter '{p}' without a default follows one with a default", start);
            }
            parameters.Add((p, fallback));
        }
        Advance();
        return parameters;
    }

    private CallBlockNode ParseCallBlock(Token start)
    {
        var parameters = Current.IsOperator("(") ? ParseParameters(start) : [];
        var callee = ParsePostfix(ParsePrimary());
        if (callee is not CallExpr call)
        {
            throw Error("A call block needs a macro call: {% call macro(...) %}", start);
        }
        ExpectBlockEnd();
        var body = ParseMacroBody(["endcall"], start, out var reads);
        ExpectBlockEnd();
        var caller = new MacroNode(start.Line, start.Column, "caller", parameters, body)
        {
            CatchesVarargs = reads.Contains("varargs"),
            CatchesKwargs = reads.Contains("kwargs"),
        };
        return new CallBlockNode(start.Line, start.Column, caller, call);
    }

    private FilterBlockNode ParseFilterBlock(Token start)
    {
        var filters = ParseFilterChain(requireOne: true);
        ExpectBlockEnd();
        var body = ParseBody(["endfilter"], out _, start);
        ExpectBlockEnd();
        return new FilterBlockNode(start.Line, start.Column, filters, body);
    }

    private WithNode ParseWith(Token start)
    {
        var assignments = new List<(Target, Expr)>();
        while (Current.Kind != TokenKind.BlockEnd)
        {
            if (assignments.Count > 0)
            {
                ExpectOperator(",");
            }
            var target = ParseTarget(allowAttribute: false, allowTuple: false);
            ExpectOperator("=");
            assignments.Add((target, ParseExpression(withCondition: true)));
        }
        ExpectBlockEnd();
        var body = ParseBody(["endwith"], out _, start);
        ExpectBlockEnd();
        return new WithNode(start.Line, start.Column, assignments, body);
    }

    /// <summary><c>| f(args) | g</c> as in <c>{% set x | trim %}</c> and <c>{% filter upper %}</c>.</summary>
    private List<FilterExpr> ParseFilterChain(bool requireOne)
    {
        var filters = new List<FilterExpr>();
        if (requireOne)
        {
            filters.Add(ParseFilter(null));
        }
        while (Current.IsOperator("|"))
        {
            Advance();
            filters.Add(ParseFilter(null));
        }
        return filters;
    }

    private Target ParseTarget(bool allowAttribute, bool allowTuple = true)
    {
        var start = Current;
        var parenthesized = allowTuple && Current.IsOperator("(");
        if (parenthesized)
        {
            Advance();
        }
        var items = new List<Target> { ParseSingleTarget(allowAttribute && !parenthesized) };
        while (allowTuple && Current.IsOperator(","))
        {
            Advance();
            if (Current.Kind != TokenKind.Name)
            {
                break;
            }
            items.Add(ParseSingleTarget(allowAttribute: false));
        }
        if (parenthesized)
        {
            ExpectOperator(")");
        }
        return items.Count == 1 && !parenthesized ? items[0] : new TupleTarget(start.Line, start.Column, items);
    }

    private Target ParseSingleTarget(bool allowAttribute)
    {
        var t = Current;
        var name = ExpectName("a variable name");
        if (name is "true" or "false" or "none" or "True" or "False" or "None")
        {
            throw Error($"Cannot assign to '{name}'", t);
        }
        if (allowAttribute && Current.IsOperator("."))
        {
            Advance();
            return new AttributeTarget(t.Line, t.Column, name, ExpectName("an attribute name"));
        }
        _assignedNames.Add(name);
        return new NameTarget(t.Line, t.Column, name);
    }

    private static bool StartsExpression(Token t) => t.Kind switch
    {
        TokenKind.Name => t.Value is not ("if" or "else" or "and" or "or" or "in"),
        TokenKind.String or TokenKind.Integer or TokenKind.Float => true,
        TokenKind.Operator => t.Value is "(" or "[" or "{" or "-" or "+",
        _ => false,
    };

    /// <summary>An expression, or a tuple of them written without parentheses (<c>a, b</c>).</summary>
    private Expr ParseTuple(bool withCondition)
    {
        var start = Current;
        var first = ParseExpression(withCondition);
        if (!Current.IsOperator(","))
        {
            return first;
        }
        var items = new List<Expr> { first };
        while (Current.IsOperator(","))
        {
            Advance();
            if (!StartsExpression(Current))
            {
                break;
            }
            items.Add(ParseExpression(withCondition));
        }
        return new ListExpr(start.Line, start.Column, items, isTuple: true);
    }

    private Expr ParseExpression(bool withCondition)
    {
        Enter(Current);
        try
        {
            return withCondition ? ParseConditional() : ParseOr();
        }
        finally
        {
            Leave();
        }
    }

    private Expr ParseConditional()
    {
        var expr = ParseOr();
        while (Current.IsName("if"))
        {
            var t = Advance();
            var test = ParseOr();
            Expr? otherwise = null;
            if (Current.IsName("else"))
            {
                Advance();
                otherwise = ParseConditional();
            }
            expr = new ConditionalExpr(t.Line, t.Column, test, expr, otherwise);
        }
        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            var t = Advance();
            left = new BinaryExpr(t.Line, t.Column, "or", left, ParseAnd());
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            var t = Advance();
            left = new BinaryExpr(t.Line, t.Column, "and", left, ParseNot());
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (!Current.IsName("not"))
        {
            return ParseCompare();
        }
        var t = Advance();
        Enter(t);
        try
        {
            return new UnaryExpr(t.Line, t.Column, "not", ParseNot());
        }
        finally
        {
            Leave();
        }
    }

    private Expr ParseCompare()
    {
        var start = Current;
        var first = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            var t = Current;
            if (t.Kind == TokenKind.Operator && t.Value is "==" or "!=" or "<" or "<=" or ">" or ">=")
            {
                Advance();
                rest.Add((t.Value, ParseMath1()));
            }
            else if (t.IsName("in"))
            {
                Advance();
                rest.Add(("in", ParseMath1()));
            }
            else if (t.IsName("not") && Peek().IsName("in"))
            {
                Advance();
                Advance();
                rest.Add(("notin", ParseMath1()));
            }
            else
            {
                break;
            }
        }
        return rest.Count == 0 ? first : new CompareExpr(start.Line, start.Column, first, rest);
    }

    // Jinja's precedence, loosest first: + -, then ~, then * / // %, then **, then unary - +.
    private Expr ParseMath1()
    {
        var left = ParseConcat();
        while (Current.Kind == TokenKind.Operator && Current.Value is "+" or "-")
        {
            var t = Advance();
            left = new BinaryExpr(t.Line, t.Column, t.Value, left, ParseConcat());
        }
        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMath2();
        while (Current.IsOperator("~"))
        {
            var t = Advance();
            left = new BinaryExpr(t.Line, t.Column, "~", left, ParseMath2());
        }
        return left;
    }

    private Expr ParseMath2()
    {
        var left = ParsePow();
        while (Current.Kind == TokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            var t = Advance();
            left = new BinaryExpr(t.Line, t.Column, t.Value, left, ParsePow());
        }
        return left;
    }

    private Expr ParsePow()
    {
        var left = ParseUnary(withFilter: true);
        while (Current.IsOperator("**"))
        {
            var t = Advance();
            left = new BinaryExpr(t.Line, t.Column, "**", left, ParseUnary(withFilter: true));
        }
        return left;
    }

    private Expr ParseUnary(bool withFilter)
    {
        var t = Current;
        Expr node;
        if (t.Kind == TokenKind.Operator && t.Value is "-" or "+")
        {
            Advance();
            Enter(t);
            try
            {
                node = new UnaryExpr(t.Line, t.Column, t.Value, ParseUnary(withFilter: false));
            }
            finally
            {
                Leave();
            }
        }
        else
        {
            node = ParsePrimary();
        }
        node = ParsePostfix(node);
        return withFilter ? ParseFilterExpr(node) : node;
    }

    private Expr ParsePrimary()
    {
        var t = Current;
        switch (t.Kind)
        {
            case TokenKind.Name:
                Advance();
                return t.Value switch
                {
                    "true" or "True" => new LiteralExpr(t.Line, t.Column, true),
                    "false" or "False" => new LiteralExpr(t.Line, t.Column, false),
                    "none" or "None" => new LiteralExpr(t.Line, t.Column, null),
                    _ => Read(new NameExpr(t.Line, t.Column, t.Value)),
                };
            case TokenKind.String:
                Advance();
                var text = t.Value;
                while (Current.Kind == TokenKind.String)
                {
                    text += Advance().Value;
                }
                return new LiteralExpr(t.Line, t.Column, text);
            case TokenKind.Integer or TokenKind.Float:
                Advance();
                return new LiteralExpr(t.Line, t.Column, t.Number);
            case TokenKind.Operator when t.Value == "(":
                Advance();
                if (Current.IsOperator(")"))
                {
                    Advance();
                    return new ListExpr(t.Line, t.Column, [], isTuple: true);
                }
                var first = ParseExpression(withCondition: true);
                if (Current.IsOperator(")"))
                {
                    Advance();
                    return first;
                }
                var items = new List<Expr> { first };
                while (Current.IsOperator(","))
                {
                    Advance();
                    if (Current.IsOperator(")"))
                    {
                        break;
                    }
                    items.Add(ParseExpression(withCondition: true));
                }
                ExpectOperator(")");
                return new ListExpr(t.Line, t.Column, items, isTuple: true);
            case TokenKind.Operator when t.Value == "[":
                Advance();
                return new ListExpr(t.Line, t.Column, ParseItems("]"), isTuple: false);
            case TokenKind.Operator when t.Value == "{":
                Advance();
                var pairs = new List<(Expr, Expr)>();
                while (!Current.IsOperator("}"))
                {
                    if (pairs.Count > 0)
                    {
                        ExpectOperator(",");
                        if (Current.IsOperator("}"))
                        {
                            break;
                        }
                    }
                    var key = ParseExpression(withCondition: true);
                    ExpectOperator(":");
                    pairs.Add((key, ParseExpression(withCondition: true)));
                }
                Advance();
                return new DictExpr(t.Line, t.Column, pairs);
            default:
                throw Error($"Unexpected {t.Describe()} in an expression", t);
        }
    }

    private NameExpr Read(NameExpr name)
    {
        foreach (var reads in _macroReads)
        {
            reads.Add(name.Name);
        }
        return name;
    }

    private List<Expr> ParseItems(string close)
    {
        var items = new List<Expr>();
        while (!Current.IsOperator(close))
        {
            if (items.Count > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator(close))
                {
                    break;
                }
            }
            items.Add(ParseExpression(withCondition: true));
        }
        Advance();
        return items;
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var t = Current;
            if (t.IsOperator("."))
            {
                Advance();
                var member = Current;
                if (member.Kind == TokenKind.Name)
                {
                    Advance();
                    node = new AttributeExpr(member.Line, member.Column, node, member.Value);
                }
                else if (member.Kind == TokenKind.Integer)
                {
                    Advance();
                    node = new ItemExpr(t.Line, t.Column, node, new LiteralExpr(member.Line, member.Column, member.Number));
                }
                else
                {
                    throw Error($"Expected an attribute name after '.', found {member.Describe()}", member);
                }
            }
            else if (t.IsOperator("["))
            {
                Advance();
                node = ParseSubscript(t, node);
            }
            else if (t.IsOperator("("))
            {
                node = ParseCall(node);
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseSubscript(Token t, Expr target)
    {
        Expr? start = null;
        if (!Current.IsOperator(":"))
        {
            start = ParseExpression(withCondition: true);
            if (Current.IsOperator("]"))
            {
                Advance();
                return new ItemExpr(t.Line, t.Column, target, start);
            }
        }
        ExpectOperator(":");
        Expr? stop = null;
        Expr? step = null;
        if (!Current.IsOperator(":") && !Current.IsOperator("]"))
        {
            stop = ParseExpression(withCondition: true);
        }
        if (Current.IsOperator(":"))
        {
            Advance();
            if (!Current.IsOperator("]"))
            {
                step = ParseExpression(withCondition: true);
            }
        }
        ExpectOperator("]");
        return new SliceExpr(t.Line, t.Column, target, start, stop, step);
    }

    private ArgumentList ParseArguments()
    {
        ExpectOperator("(");
        var args = new List<Expr>();
        var keywords = new List<(string, Expr)>();
        Expr? star = null;
        Expr? doubleStar = null;
        var count = 0;
        while (!Current.IsOperator(")"))
        {
            if (count++ > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator(")"))
                {
                    break;
                }
            }
            var t = Current;
            if (t.IsOperator("*") || t.IsOperator("**"))
            {
                Advance();
                if ((t.Value == "*" ? star : doubleStar) is not null || (t.Value == "*" && doubleStar is not null))
                {
                    throw Error($"Unexpected '{t.Value}' argument here", t);
                }
                var spread = ParseExpression(withCondition: true);
                if (t.Value == "*")
                {
                    star = spread;
                }
                else
                {
                    doubleStar = spread;
                }
            }
            else if (t.Kind == TokenKind.Name && Peek().IsOperator("="))
            {
                if (doubleStar is not null)
                {
                    throw Error("A keyword argument follows **", t);
                }
                var name = Advance().Value;
                Advance();
                if (keywords.Exists(k => k.Item1 == name))
                {
                    throw Error($"The keyword argument '{name}' is given twice", t);
                }
                keywords.Add((name, ParseExpression(withCondition: true)));
            }
            else
            {
                if (keywords.Count > 0 || star is not null || doubleStar is not null)
                {
                    throw Error("A positional argument follows a keyword or * argument", t);
                }
                args.Add(ParseExpression(withCondition: true));
            }
        }
        Advance();
        return new ArgumentList(args, keywords, star, doubleStar);
    }

    private CallExpr ParseCall(Expr callee)
    {
        var t = Current;
        switch (callee)
        {
            case AttributeExpr attribute when !Methods.Names.Contains(attribute.Name):
                throw new TemplateSyntaxException($"Unknown method '{attribute.Name}'", attribute.Line, attribute.Column);
            case NameExpr name when Globals.Unsupported.Contains(name.Name):
                throw new TemplateSyntaxException($"The function '{name.Name}' is not supported by this chat template renderer", name.Line, name.Column);
        }
        var call = new CallExpr(t.Line, t.Column, callee, ParseArguments());
        if (callee is NameExpr n && !(n.Name == "caller" && _macroReads.Count > 0))
        {
            _calledNames.Add(n);
        }
        return call;
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            var t = Current;
            if (t.IsOperator("|"))
            {
                Advance();
                node = ParseFilter(node);
            }
            else if (t.IsName("is"))
            {
                Advance();
                node = ParseTest(t, node);
            }
            else if (t.IsOperator("("))
            {
                node = ParseCall(node);
            }
            else
            {
                return node;
            }
        }
    }

    private FilterExpr ParseFilter(Expr? operand)
    {
        var t = Current;
        var name = ExpectName("a filter name");
        if (!Filters.Names.Contains(name))
        {
            throw Error(Filters.JinjaOnly.Contains(name)
                ? $"The filter '{name}' is not supported by this chat template renderer"
                : $"Unknown filter '{name}'", t);
        }
        return new FilterExpr(t.Line, t.Column, operand, name, Current.IsOperator("(") ? ParseArguments() : ArgumentList.Empty);
    }

    private TestExpr ParseTest(Token isToken, Expr operand)
    {
        var negated = false;
        if (Current.IsName("not"))
        {
            Advance();
            negated = true;
        }
        var t = Current;
        var name = ExpectName("a test name");
        if (!Tests.Names.Contains(name))
        {
            throw Error(Tests.JinjaOnly.Contains(name)
                ? $"The test '{name}' is not supported by this chat template renderer"
                : $"Unknown test '{name}'", t);
        }
        List<Expr> args = [];
        if (Current.IsOperator("("))
        {
            var arguments = ParseArguments();
            if (arguments.Keywords.Count > 0 || arguments.Star is not null || arguments.DoubleStar is not null)
            {
                throw Error($"The test '{name}' takes positional arguments only", t);
            }
            args = arguments.Positional;
        }
        else if (Current.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float
                 || Current.IsOperator("[") || Current.IsOperator("{"))
        {
            if (!(Current.Kind == TokenKind.Name && Current.Value is "else" or "or" or "and" or "if" or "is"))
            {
                args = [ParsePostfix(ParsePrimary())];
            }
        }
        return new TestExpr(isToken.Line, isToken.Column, operand, name, negated, args);
    }

    private void CheckCalledNames()
    {
        foreach (var name in _calledNames)
        {
            if (!Globals.Names.Contains(name.Name) && !_assignedNames.Contains(name.Name))
            {
                throw new TemplateSyntaxException($"Unknown function '{name.Name}'", name.Line, name.Column);
            }
        }
    }
}
