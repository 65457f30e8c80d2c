namespace ChatTemplates.Jinja;

// The syntax tree. Every node knows where it starts in the source, for error messages.

internal abstract class Node(int line, int column)
{
    public int Line { get; } = line;

    public int Column { get; } = column;
}

internal sealed class TextNode(int line, int column, string text) : Node(line, column)
{
    public string Text { get; } = text;
}

internal sealed class OutputNode(int line, int column, Expr expr) : Node(line, column)
{
    public Expr Expr { get; } = expr;
}

internal sealed class IfNode(int line, int column, List<(Expr Test, List<Node> Body)> branches, List<Node>? otherwise)
    : Node(line, column)
{
    public List<(Expr Test, List<Node> Body)> Branches { get; } = branches;

    public List<Node>? Else { get; } = otherwise;
}

internal sealed class ForNode(int line, int column, Target target, Expr iterable, Expr? filter, List<Node> body, List<Node>? otherwise)
    : Node(line, column)
{
    public Target Target { get; } = target;

    public Expr Iterable { get; } = iterable;

    /// <summary>The <c>if</c> of <c>for x in xs if cond</c>: items that fail it are skipped before the loop
    /// counts them.</summary>
    public Expr? Filter { get; } = filter;

    public List<Node> Body { get; } = body;

    public List<Node>? Else { get; } = otherwise;
}

internal sealed class SetNode(int line, int column, Target target, Expr value) : Node(line, column)
{
    public Target Target { get; } = target;

    public Expr Value { get; } = value;
}

/// <summary><c>{% set name | filters %}body{% endset %}</c>: the rendered body, through the filters.</summary>
internal sealed class SetBlockNode(int line, int column, Target target, List<FilterExpr> filters, List<Node> body)
    : Node(line, column)
{
    public Target Target { get; } = target;

    public List<FilterExpr> Filters { get; } = filters;

    public List<Node> Body { get; } = body;
}

/// <summary><c>{% filter f | g %}body{% endfilter %}</c>.</summary>
internal sealed class FilterBlockNode(int line, int column, List<FilterExpr> filters, List<Node> body) : Node(line, column)
{
    public List<FilterExpr> Filters { get; } = filters;

    public List<Node> Body { get; } = body;
}

/// <summary><c>{% with a = x %}body{% endwith %}</c>: names that live only in the body.</summary>
internal sealed class WithNode(int line, int column, List<(Target Target, Expr Value)> assignments, List<Node> body)
    : Node(line, column)
{
    public List<(Target Target, Expr Value)> Assignments { get; } = assignments;

    public List<Node> Body { get; } = body;
}

internal sealed class MacroNode(int line, int column, string name, List<(string Name, Expr? Default)> parameters, List<Node> body)
    : Node(line, column)
{
    public string Name { get; } = name;

    public List<(string Name, Expr? Default)> Parameters { get; } = parameters;

    public List<Node> Body { get; } = body;

    /// <summary>The body reads <c>varargs</c>: extra positional arguments are collected there, not refused.</summary>
    public bool CatchesVarargs { get; init; }

    /// <summary>The body reads <c>kwargs</c>: unknown keyword arguments are collected there, not refused.</summary>
    public bool CatchesKwargs { get; init; }
}

/// <summary><c>{% call(params) macro(args) %}body{% endcall %}</c>: calls the macro with <c>caller</c>, a macro
/// made of the body, which the called macro renders with <c>caller(...)</c>.</summary>
internal sealed class CallBlockNode(int line, int column, MacroNode caller, CallExpr call) : Node(line, column)
{
    public MacroNode Caller { get; } = caller;

    public CallExpr Call { get; } = call;
}

internal sealed class BreakNode(int line, int column) : Node(line, column);

internal sealed class ContinueNode(int line, int column) : Node(line, column);

// Assignment targets.

internal abstract class Target(int line, int column) : Node(line, column);

internal sealed class NameTarget(int line, int column, string name) : Target(line, column)
{
    public string Name { get; } = name;
}

/// <summary><c>{% set ns.attr = value %}</c>: only a namespace accepts it.</summary>
internal sealed class AttributeTarget(int line, int column, string name, string attribute) : Target(line, column)
{
    public string Name { get; } = name;

    public string Attribute { get; } = attribute;
}

internal sealed class TupleTarget(int line, int column, List<Target> items) : Target(line, column)
{
    public List<Target> Items { get; } = items;
}

// Expressions.

internal abstract class Expr(int line, int column) : Node(line, column);

internal sealed class LiteralExpr(int line, int column, object? value) : Expr(line, column)
{
    public object? Value { get; } = value;
}

internal sealed class NameExpr(int line, int column, string name) : Expr(line, column)
{
    public string Name { get; } = name;
}

internal sealed class ListExpr(int line, int column, List<Expr> items, bool isTuple) : Expr(line, column)
{
    public List<Expr> Items { get; } = items;

    public bool IsTuple { get; } = isTuple;
}

internal sealed class DictExpr(int line, int column, List<(Expr Key, Expr Value)> items) : Expr(line, column)
{
    public List<(Expr Key, Expr Value)> Items { get; } = items;
}

/// <summary><c>obj.name</c>: an attribute (a method first, as Python's getattr), then an item.</summary>
internal sealed class AttributeExpr(int line, int column, Expr target, string name) : Expr(line, column)
{
    public Expr Target { get; } = target;

    public string Name { get; } = name;
}

/// <summary><c>obj[key]</c>: an item, then an attribute.</summary>
internal sealed class ItemExpr(int line, int column, Expr target, Expr key) : Expr(line, column)
{
    public Expr Target { get; } = target;

    public Expr Key { get; } = key;
}

internal sealed class SliceExpr(int line, int column, Expr target, Expr? start, Expr? stop, Expr? step) : Expr(line, column)
{
    public Expr Target { get; } = target;

    public Expr? Start { get; } = start;

    public Expr? Stop { get; } = stop;

    public Expr? Step { get; } = step;
}

/// <summary>The arguments written in a call: <c>(a, b, *rest, key=v, **more)</c>.</summary>
internal sealed class ArgumentList(List<Expr> positional, List<(string Name, Expr Value)> keywords, Expr? star, Expr? doubleStar)
{
    public static readonly ArgumentList Empty = new([], [], null, null);

    public List<Expr> Positional { get; } = positional;

    public List<(string Name, Expr Value)> Keywords { get; } = keywords;

    /// <summary><c>*expr</c>: more positional arguments from a list.</summary>
    public Expr? Star { get; } = star;

    /// <summary><c>**expr</c>: more keyword arguments from a dict.</summary>
    public Expr? DoubleStar { get; } = doubleStar;
}

internal sealed class CallExpr(int line, int column, Expr callee, ArgumentList arguments) : Expr(line, column)
{
    public Expr Callee { get; } = callee;

    public ArgumentList Arguments { get; } = arguments;
}

/// <summary><c>operand | name(args)</c>; the operand is null in a filter chain of a block (set or filter).</summary>
internal sealed class FilterExpr(int line, int column, Expr? operand, string name, ArgumentList arguments) : Expr(line, column)
{
    public Expr? Operand { get; } = operand;

    public string Name { get; } = name;

    public ArgumentList Arguments { get; } = arguments;
}

internal sealed class TestExpr(int line, int column, Expr operand, string name, bool negated, List<Expr> args)
    : Expr(line, column)
{
    public Expr Operand { get; } = operand;

    public string Name { get; } = name;

    public bool Negated { get; } = negated;

    public List<Expr> Args { get; } = args;
}

/// <summary><c>-x</c>, <c>+x</c>, <c>not x</c>.</summary>
internal sealed class UnaryExpr(int line, int column, string op, Expr operand) : Expr(line, column)
{
    public string Op { get; } = op;

    public Expr Operand { get; } = operand;
}

/// <summary>Arithmetic (<c>+ - * / // % **</c>), concatenation (<c>~</c>) and the short-circuit <c>and</c>/<c>or</c>.</summary>
internal sealed class BinaryExpr(int line, int column, string op, Expr left, Expr right) : Expr(line, column)
{
    public string Op { get; } = op;

    public Expr Left { get; } = left;

    public Expr Right { get; } = right;
}

/// <summary>A comparison chain, <c>a &lt; b &lt;= c</c>: operators <c>== != &lt; &lt;= &gt; &gt;= in notin</c>.</summary>
internal sealed class CompareExpr(int line, int column, Expr first, List<(string Op, Expr Operand)> rest) : Expr(line, column)
{
    public Expr First { get; } = first;

    public List<(string Op, Expr Operand)> Rest { get; } = rest;
}

/// <summary><c>then if test else otherwise</c>; without <c>else</c> a false test gives undefined.</summary>
internal sealed class ConditionalExpr(int line, int column, Expr test, Expr then, Expr? otherwise) : Expr(line, column)
{
    public Expr Test { get; } = test;

    public Expr Then { get; } = then;

    public Expr? Else { get; } = otherwise;
}
