using System.Text;

namespace ChatTemplates.Jinja;

/// <summary>A <c>{% macro %}</c>: called like a function, it renders its body with the arguments bound and
/// returns the text. Defaults are evaluated at each call and may use earlier parameters; extra arguments go to
/// <c>varargs</c> and <c>kwargs</c> when the body reads them, and a call block's body is <c>caller</c>.</summary>
internal sealed class Macro(MacroNode node, Scope definingScope) : ICallable
{
    public string Name => node.Name;

    public object? Invoke(Evaluator evaluator, Arguments args, Node site)
    {
        var parameters = node.Parameters;
        var scope = new Scope(definingScope);
        var varargs = new List<object?>();
        var kwargs = new PyDict();
        if (args.Positional.Count > parameters.Count)
        {
            if (!node.CatchesVarargs)
            {
                throw new PyTypeError($"macro '{Name}' takes {parameters.Count} argument{(parameters.Count == 1 ? "" : "s")}, {args.Positional.Count} given");
            }
            varargs.AddRange(args.Positional.Skip(parameters.Count));
        }
        foreach (var kv in args.Keywords)
        {
            var at = parameters.FindIndex(p => p.Name == kv.Key);
            if (at >= 0 && at < args.Positional.Count)
            {
                throw new PyTypeError($"macro '{Name}' got multiple values for '{kv.Key}'");
            }
            if (at >= 0)
            {
                continue;
            }
            if (kv.Key == "caller")
            {
                scope.Set("caller", kv.Value);
            }
            else if (node.CatchesKwargs)
            {
                kwargs.Set(kv.Key, kv.Value);
            }
            else
            {
                throw new PyTypeError($"macro '{Name}' has no parameter '{kv.Key}'");
            }
        }
        for (var i = 0; i < parameters.Count; i++)
        {
            var (name, fallback) = parameters[i];
            object? value;
            if (i < args.Positional.Count)
            {
                value = args.Positional[i];
            }
            else if (args.Keywords.FindIndex(k => k.Key == name) is var k and >= 0)
            {
                value = args.Keywords[k].Value;
            }
            else
            {
                value = fallback is null ? new Undefined(name) : evaluator.Eval(fallback, scope);
            }
            scope.Set(name, value);
        }
        scope.Set("varargs", PyList.Tuple([.. varargs]));
        scope.Set("kwargs", kwargs);
        var output = new StringBuilder();
        evaluator.CallMacro(node, scope, output, site);
        return output.ToString();
    }
}
