namespace ChatTemplates.Jinja;

/// <summary>Variables of one frame: the globals, the render's variables, a for loop's body, a macro call. A
/// <c>set</c> writes to the frame it runs in, so a name set in a loop body is gone after the loop, as in Jinja
/// (hence <c>namespace()</c>).</summary>
internal sealed class Scope(Scope? parent)
{
    private readonly Dictionary<string, object?> _variables = new(StringComparer.Ordinal);

    public Scope? Parent { get; } = parent;

    public bool TryGet(string name, out object? value)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope._variables.TryGetValue(name, out value))
            {
                return true;
            }
        }
        value = null;
        return false;
    }

    public object? Get(string name) => TryGet(name, out var value) ? value : new Undefined(name);

    public void Set(string name, object? value) => _variables[name] = value;
}
