using System.Runtime.CompilerServices;
using System.Text;

namespace ChatTemplates.Jinja;

/// <summary>
/// Renders a parsed template: one instance per render. Counts steps and loop iterations, bounds output and
/// string sizes and macro depth (see <see cref="TemplateLimits"/>), and turns Python-style errors into
/// <see cref="TemplateRenderException"/>s with the position of the expression that failed.
/// </summary>
internal sealed class Evaluator(TemplateLimits limits, TimeProvider clock)
{
    private long _steps;
    private long _iterations;
    private int _callDepth;

    public TemplateLimits Limits { get; } = limits;

    public TimeProvider Clock { get; } = clock;

    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    public string Render(List<Node> body, Scope scope)
    {
        var output = new StringBuilder();
        Execute(body, scope, output);
        return output.ToString();
    }

    private void Step(Node at)
    {
        if (++_steps > Limits.MaxSteps)
        {
            throw new TemplateLimitException($"The render took more than {Limits.MaxSteps} steps", at.Line, at.Column);
        }
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new TemplateLimitException("The render nests too deeply", at.Line, at.Column);
        }
    }

    private void Append(StringBuilder output, string text, Node at)
    {
        if (output.Length + text.Length > Limits.MaxOutputLength)
        {
            throw new TemplateLimitException($"The output would pass the limit of {Limits.MaxOutputLength} characters", at.Line, at.Column);
        }
        output.Append(text);
    }

    /// <summary>A string the template built: refused past the output limit.</summary>
    public string CheckString(string s)
    {
        if (s.Length > Limits.MaxOutputLength)
        {
            throw new TemplateLimitException($"A string of {s.Length} characters would pass the limit of {Limits.MaxOutputLength}");
        }
        return s;
    }

    public PyList CheckList(PyList list)
    {
        if (list.Count > Limits.MaxCollectionLength)
        {
            throw new TemplateLimitException($"A list of {list.Count} items would pass the limit of {Limits.MaxCollectionLength}");
        }
        return list;
    }

    private Flow Execute(List<Node> nodes, Scope scope, StringBuilder output)
    {
        foreach (var node in nodes)
        {
            Step(node);
            var flow = node switch
            {
                TextNode text => Text(text, output),
                OutputNode o => Output(o, scope, output),
                IfNode n => If(n, scope, output),
                ForNode n => For(n, scope, output),
                SetNode n => Set(n, scope),
                SetBlockNode n => SetBlock(n, scope),
                FilterBlockNode n => FilterBlock(n, scope, output),
                WithNode n => With(n, scope, output),
                MacroNode n => DefineMacro(n, scope),
                CallBlockNode n => CallBlock(n, scope, output),
                BreakNode => Flow.Break,
                ContinueNode => Flow.Continue,
                _ => throw new InvalidOperationException($"Unknown node {node.GetType().Name}"),
            };
            if (flow != Flow.Normal)
            {
                return flow;
            }
        }
        return Flow.Normal;
    }

    private Flow Text(TextNode node, StringBuilder output)
    {
        Append(output, node.Text, node);
        return Flow.Normal;
    }

    private Flow Output(OutputNode node, Scope scope, StringBuilder output)
    {
        var value = Eval(node.Expr, scope);
        Append(output, Guard(node.Expr, () => Py.Str(value)), node);
        return Flow.Normal;
    }

    private Flow If(IfNode node, Scope scope, StringBuilder output)
    {
        foreach (var (test, body) in node.Branches)
        {
            if (Py.Truthy(Eval(test, scope)))
            {
                return Execute(body, scope, output);
            }
        }
        return node.Else is null ? Flow.Normal : Execute(node.Else, scope, output);
    }

    private Flow For(ForNode node, Scope scope, StringBuilder output)
    {
        var iterable = Eval(node.Iterable, scope);
        var items = Guard(node.Iterable, () => Py.Iterate(iterable));
        if (node.Filter is not null)
        {
            var kept = new List<object?>();
            var filterScope = new Scope(scope);
            foreach (var item in items)
            {
                CountIteration(node);
                Assign(node.Target, item, filterScope);
                if (Py.Truthy(Eval(node.Filter, filterScope)))
                {
                    kept.Add(item);
                }
            }
            items = kept;
        }
        if (items.Count == 0)
        {
            return node.Else is null ? Flow.Normal : Execute(node.Else, scope, output);
        }
        var loop = new LoopContext { Items = items };
        for (var i = 0; i < items.Count; i++)
        {
            CountIteration(node);
            loop.Index0 = i;
            // Each iteration starts from the enclosing variables, as in Python's Jinja: a name set in one
            // iteration is not seen by the next (which is why templates use namespace()).
            var loopScope = new Scope(scope);
            loopScope.Set("loop", loop);
            Assign(node.Target, items[i], loopScope);
            if (Execute(node.Body, loopScope, output) == Flow.Break)
            {
                break;
            }
        }
        return Flow.Normal;
    }

    private void CountIteration(Node at)
    {
        if (++_iterations > Limits.MaxLoopIterations)
        {
            throw new TemplateLimitException($"The loops ran more than {Limits.MaxLoopIterations} iterations", at.Line, at.Column);
        }
    }

    private Flow Set(SetNode node, Scope scope)
    {
        Assign(node.Target, Eval(node.Value, scope), scope);
        return Flow.Normal;
    }

    private string RenderBody(List<Node> body, Scope scope)
    {
        var captured = new StringBuilder();
        Execute(body, new Scope(scope), captured);
        return captured.ToString();
    }

    private object? ApplyFilters(List<FilterExpr> filters, object? value, Scope scope)
    {
        foreach (var filter in filters)
        {
            value = ApplyFilter(filter, value, scope);
        }
        return value;
    }

    private Flow SetBlock(SetBlockNode node, Scope scope)
    {
        Assign(node.Target, ApplyFilters(node.Filters, RenderBody(node.Body, scope), scope), scope);
        return Flow.Normal;
    }

    private Flow FilterBlock(FilterBlockNode node, Scope scope, StringBuilder output)
    {
        var value = ApplyFilters(node.Filters, RenderBody(node.Body, scope), scope);
        Append(output, Py.Str(value), node);
        return Flow.Normal;
    }

    private Flow With(WithNode node, Scope scope, StringBuilder output)
    {
        var inner = new Scope(scope);
        foreach (var (target, value) in node.Assignments)
        {
            Assign(target, Eval(value, scope), inner);
        }
        Execute(node.Body, inner, output);
        return Flow.Normal;
    }

    private static Flow DefineMacro(MacroNode node, Scope scope)
    {
        scope.Set(node.Name, new Macro(node, scope));
        return Flow.Normal;
    }

    private Flow CallBlock(CallBlockNode node, Scope scope, StringBuilder output)
    {
        var value = Call(node.Call, scope, new Macro(node.Caller, scope));
        Append(output, Py.Str(value), node);
        return Flow.Normal;
    }

    public void CallMacro(MacroNode node, Scope scope, StringBuilder output, Node site)
    {
        if (++_callDepth > Limits.MaxCallDepth)
        {
            throw new TemplateLimitException($"Macro calls nest deeper than the limit of {Limits.MaxCallDepth}", site.Line, site.Column);
        }
        try
        {
            Execute(node.Body, scope, output);
        }
        finally
        {
            _callDepth--;
        }
    }

    private static void Assign(Target target, object? value, Scope scope)
    {
        switch (target)
        {
            case NameTarget name:
                scope.Set(name.Name, value);
                break;
            case AttributeTarget attribute:
                if (scope.Get(attribute.Name) is not Namespace ns)
                {
                    throw new TemplateRenderException($"Cannot assign the attribute '{attribute.Attribute}' of '{attribute.Name}': only a namespace() takes attribute assignments", target.Line, target.Column);
                }
                ns.Attributes.Set(attribute.Attribute, value);
                break;
            case TupleTarget tuple:
                var items = Guard(target, () => Py.Iterate(value));
                if (items.Count != tuple.Items.Count)
                {
                    throw new TemplateRenderException(items.Count > tuple.Items.Count
                        ? $"Too many values to unpack (expected {tuple.Items.Count})"
                        : $"Not enough values to unpack (expected {tuple.Items.Count}, got {items.Count})", target.Line, target.Column);
                }
                for (var i = 0; i < items.Count; i++)
                {
                    Assign(tuple.Items[i], items[i], scope);
                }
                break;
        }
    }

    /// <summary>Runs <paramref name="f"/>, giving a Python-style failure the position of <paramref name="at"/>.</summary>
    private static T Guard<T>(Node at, Func<T> f)
    {
        try
        {
            return f();
        }
        catch (PyTypeError e)
        {
            throw new TemplateRenderException(e.Message, at.Line, at.Column, e);
        }
        catch (OverflowException e)
        {
            throw new TemplateRenderException("Integer overflow", at.Line, at.Column, e);
        }
        catch (TemplateLimitException e) when (e.Line == 0)
        {
            throw new TemplateLimitException(e.Reason, at.Line, at.Column);
        }
    }

    public object? Eval(Expr expr, Scope scope)
    {
        Step(expr);
        try
        {
            return EvalCore(expr, scope);
        }
        catch (PyTypeError e)
        {
            throw new TemplateRenderException(e.Message, expr.Line, expr.Column, e);
        }
        catch (OverflowException e)
        {
            throw new TemplateRenderException("Integer overflow", expr.Line, expr.Column, e);
        }
        catch (TemplateLimitException e) when (e.Line == 0)
        {
            throw new TemplateLimitException(e.Reason, expr.Line, expr.Column);
        }
    }

    private object? EvalCore(Expr expr, Scope scope) => expr switch
    {
        LiteralExpr literal => literal.Value,
        NameExpr name => scope.Get(name.Name),
        ListExpr list => CheckList(new PyList(list.Items.ConvertAll(item => Eval(item, scope)), list.IsTuple)),
        DictExpr dict => MakeDict(dict, scope),
        AttributeExpr attribute => GetAttribute(Eval(attribute.Target, scope), attribute.Name),
        ItemExpr item => GetItem(Eval(item.Target, scope), Eval(item.Key, scope)),
        SliceExpr slice => Slice(slice, scope),
        CallExpr call => Call(call, scope),
        FilterExpr filter => ApplyFilter(filter, Eval(filter.Operand!, scope), scope),
        TestExpr test => Tests.Apply(test.Name, Eval(test.Operand, scope), test.Args.ConvertAll(a => Eval(a, scope))) != test.Negated,
        UnaryExpr unary => Unary(unary, scope),
        BinaryExpr binary => Binary(binary, scope),
        CompareExpr compare => Compare(compare, scope),
        ConditionalExpr conditional => Py.Truthy(Eval(conditional.Test, scope))
            ? Eval(conditional.Then, scope)
            : conditional.Else is null ? new Undefined(null) : Eval(conditional.Else, scope),
        _ => throw new InvalidOperationException($"Unknown expression {expr.GetType().Name}"),
    };

    private PyDict MakeDict(DictExpr node, Scope scope)
    {
        var dict = new PyDict();
        foreach (var (key, value) in node.Items)
        {
            var k = Eval(key, scope) ?? throw new PyTypeError("None as a dict key is not supported");
            dict.Set(k, Eval(value, scope));
        }
        return dict;
    }

    private object? ApplyFilter(FilterExpr filter, object? value, Scope scope)
    {
        var args = EvalArguments(filter.Arguments, scope);
        return Guard(filter, () => Filters.Apply(this, filter.Name, value, args));
    }

    private Arguments EvalArguments(ArgumentList list, Scope scope)
    {
        if (list == ArgumentList.Empty)
        {
            return Arguments.None;
        }
        var positional = list.Positional.ConvertAll(a => Eval(a, scope));
        var keywords = list.Keywords.ConvertAll(k => new KeyValuePair<string, object?>(k.Name, Eval(k.Value, scope)));
        if (list.Star is not null)
        {
            var spread = Eval(list.Star, scope);
            positional.AddRange(Guard(list.Star, () => Py.Iterate(spread)));
        }
        if (list.DoubleStar is not null)
        {
            if (Eval(list.DoubleStar, scope) is not PyDict dict)
            {
                throw new TemplateRenderException("The argument after ** must be a dict", list.DoubleStar.Line, list.DoubleStar.Column);
            }
            foreach (var kv in dict.Entries)
            {
                if (kv.Key is not string name || keywords.Exists(k => k.Key == name))
                {
                    throw new TemplateRenderException($"Bad or repeated keyword argument {Py.Repr(kv.Key)} after **", list.DoubleStar.Line, list.DoubleStar.Column);
                }
                keywords.Add(new(name, kv.Value));
            }
        }
        return new Arguments(positional, keywords);
    }

    /// <summary><c>obj.name</c>: a method of a str, dict or list first (as Python's getattr), then a dict's item;
    /// undefined when there is neither, and for any member of undefined or None.</summary>
    public static object? GetAttribute(object? target, string name) => target switch
    {
        PyDict dict when Methods.IsMethodOf(dict, name) => new BoundMethod(dict, name),
        PyDict dict => dict.TryGetValue(name, out var value) ? value : new Undefined(name),
        string or PyList when Methods.IsMethodOf(target, name) => new BoundMethod(target, name),
        Namespace ns => ns.Attributes.TryGetValue(name, out var value) ? value : new Undefined(name),
        LoopContext loop => loop.Attribute(name),
        _ => new Undefined(name),
    };

    /// <summary>Python's getattr alone, as the <c>attr</c> filter reads: methods and namespace attributes, never a
    /// dict's items.</summary>
    public static object? GetAttributeOnly(object? target, string name) => target switch
    {
        PyDict or string or PyList when Methods.IsMethodOf(target, name) => new BoundMethod(target, name),
        Namespace or LoopContext => GetAttribute(target, name),
        _ => new Undefined(name),
    };

    /// <summary><c>obj[key]</c>: an item first, then an attribute (as Jinja's getitem).</summary>
    public static object? GetItem(object? target, object? key)
    {
        switch (target)
        {
            case PyDict dict:
                if (key is not null && dict.TryGetValue(key, out var value))
                {
                    return value;
                }
                break;
            case PyList list when Py.IsInteger(key):
                var i = Py.ToLong(key);
                if (i < 0)
                {
                    i += list.Count;
                }
                return i >= 0 && i < list.Count ? list[(int)i] : new Undefined($"[{key}]");
            case string s when Py.IsInteger(key):
                var chars = PyString.CharactersIfWide(s);
                var length = chars?.Count ?? s.Length;
                var j = Py.ToLong(key);
                if (j < 0)
                {
                    j += length;
                }
                return j < 0 || j >= length ? new Undefined($"[{key}]") : chars is null ? s[(int)j].ToString() : chars[(int)j];
        }
        return key is string name ? GetAttribute(target, name) : new Undefined($"[{Py.Repr(key)}]");
    }

    private object? Slice(SliceExpr node, Scope scope)
    {
        var target = Eval(node.Target, scope);
        long? Bound(Expr? e)
        {
            if (e is null)
            {
                return null;
            }
            var v = Eval(e, scope);
            return v is null ? null : Py.IsInteger(v) ? Py.ToLong(v) : throw new PyTypeError("slice indices must be integers or None");
        }
        var start = Bound(node.Start);
        var stop = Bound(node.Stop);
        var step = Bound(node.Step);
        return target switch
        {
            PyList list => new PyList(SliceItems(list.Items, start, stop, step), list.IsTuple),
            string s => string.Concat(SliceItems(PyString.Characters(s), start, stop, step).Cast<string>()),
            _ => new Undefined("[:]"),
        };
    }

    /// <summary>Python's slice of a sequence: negative indices from the end, bounds clamped, any non-zero step.</summary>
    public static List<object?> SliceItems(IReadOnlyList<object?> items, long? start, long? stop, long? step)
    {
        var n = (long)items.Count;
        var by = step ?? 1;
        if (by == 0)
        {
            throw new PyTypeError("slice step cannot be zero");
        }
        long Adjust(long? index, long whenNull, long low, long high)
        {
            if (index is not long i)
            {
                return whenNull;
            }
            if (i < 0)
            {
                i += n;
            }
            return Math.Clamp(i, low, high);
        }
        var result = new List<object?>();
        if (by > 0)
        {
            var from = Adjust(start, 0, 0, n);
            var to = Adjust(stop, n, 0, n);
            for (var i = from; i < to; i += by)
            {
                result.Add(items[(int)i]);
            }
        }
        else
        {
            var from = Adjust(start, n - 1, -1, n - 1);
            var to = Adjust(stop, -1, -1, n - 1);
            for (var i = from; i > to; i += by)
            {
                result.Add(items[(int)i]);
            }
        }
        return result;
    }

    private object? Call(CallExpr node, Scope scope, Macro? caller = null)
    {
        object? callee;
        string what;
        if (node.Callee is AttributeExpr attribute)
        {
            var target = Eval(attribute.Target, scope);
            callee = GetAttribute(target, attribute.Name);
            what = target is Undefined u
                ? $"'{u.Name ?? "value"}' is undefined: cannot call its method '{attribute.Name}'"
                : $"'{Py.TypeName(target)}' object has no method '{attribute.Name}'";
        }
        else
        {
            callee = Eval(node.Callee, scope);
            what = callee is Undefined u ? $"'{u.Name ?? "value"}' is undefined" : $"'{Py.TypeName(callee)}' object is not callable";
        }
        if (callee is not ICallable function)
        {
            throw new TemplateRenderException(what, node.Line, node.Column);
        }
        var args = EvalArguments(node.Arguments, scope);
        if (caller is not null)
        {
            if (function is not Macro)
            {
                throw new TemplateRenderException("A call block must call a macro", node.Line, node.Column);
            }
            args.Keywords.Add(new("caller", caller));
        }
        return function.Invoke(this, args, node);
    }

    private object? Unary(UnaryExpr node, Scope scope)
    {
        var value = Eval(node.Operand, scope);
        if (node.Op == "not")
        {
            return !Py.Truthy(value);
        }
        RefuseUndefined(value);
        return node.Op == "-" ? Py.Negate(value) : Py.Plus(value);
    }

    private static void RefuseUndefined(object? value)
    {
        if (value is Undefined u)
        {
            throw new PyTypeError($"'{u.Name ?? "value"}' is undefined");
        }
    }

    private object? Binary(BinaryExpr node, Scope scope)
    {
        var left = Eval(node.Left, scope);
        switch (node.Op)
        {
            case "and":
                return Py.Truthy(left) ? Eval(node.Right, scope) : left;
            case "or":
                return Py.Truthy(left) ? left : Eval(node.Right, scope);
        }
        var right = Eval(node.Right, scope);
        if (node.Op == "~")
        {
            var a = Py.Str(left);
            var b = Py.Str(right);
            CheckString(a.Length + (long)b.Length);
            return a + b;
        }
        RefuseUndefined(left);
        RefuseUndefined(right);
        var result = node.Op switch
        {
            "+" => Py.Add(left, right),
            "-" => Py.Subtract(left, right),
            "*" => Py.Multiply(left, right, Limits.MaxOutputLength),
            "/" => Py.Divide(left, right),
            "//" => Py.FloorDivide(left, right),
            "%" when left is string format => PyFormat.Percent(format, right),
            "%" => Py.Modulo(left, right),
            "**" => Py.Power(left, right),
            _ => throw new InvalidOperationException($"Unknown operator {node.Op}"),
        };
        return result switch
        {
            string s => CheckString(s),
            PyList list => CheckList(list),
            _ => result,
        };
    }

    private void CheckString(long length)
    {
        if (length > Limits.MaxOutputLength)
        {
            throw new TemplateLimitException($"A string of {length} characters would pass the limit of {Limits.MaxOutputLength}");
        }
    }

    private bool Compare(CompareExpr node, Scope scope)
    {
        var left = Eval(node.First, scope);
        foreach (var (op, operand) in node.Rest)
        {
            var right = Eval(operand, scope);
            var holds = op switch
            {
                "==" => Py.Equal(left, right),
                "!=" => !Py.Equal(left, right),
                "<" => Py.Compare(left, right, op) < 0,
                "<=" => Py.Compare(left, right, op) <= 0,
                ">" => Py.Compare(left, right, op) > 0,
                ">=" => Py.Compare(left, right, op) >= 0,
                "in" => Py.Contains(right, left),
                "notin" => !Py.Contains(right, left),
                _ => throw new InvalidOperationException($"Unknown comparison {op}"),
            };
            if (!holds)
            {
                return false;
            }
            left = right;
        }
        return true;
    }

}
