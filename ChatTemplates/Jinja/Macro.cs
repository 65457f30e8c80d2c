using System.Text;

namespace ChatTemplates.Jinja;

/// <summary>A <c>{% macro %}</c>: called like a function, it renders its body with the arguments bound and
/// returns the text. Defaults are evaluated at each call and may use earlier parameters.</summary>
internal sealed class Macro(MacroNode node, Scope definingScope) : ICallable
{
    public string Name => node.Name;

    public object? Invoke(Evaluator evaluator, Arguments args, Node site)
    {
        var parameters = node.Parameters;
        if (args.Positional.Count > parameters.Count)
        {
            throw new PyTypeError($"macro '{Name}' takes {parameters.Count} argument{(parameters.Count == 1 ? "" : "s")}, {args.Positional.Count} given");
        }
        foreach (var kv in args.Keywords)
        {
            var at = parameters.FindIndex(p => p.Name == kv.Key);
            if (at < 0)
            {
                throw new PyTypeError($"macro '{Name}' has no parameter '{kv.Key}'");
            }
            if (at < args.Positional.Count)
            {
                throw new PyTypeError($"macro '{Name}' got multiple values for '{kv.Key}'");
            }
        }
        var scope = new Scope(definingScope);
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
        var output = new StringBuilder();
        evaluator.CallMacro(node, scope, output, site);
        return output.ToString();
    }
}
