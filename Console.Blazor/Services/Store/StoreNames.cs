namespace AdminConsole.Services.Store;

/// <summary>Model names in a store: one path segment, so a name can never reach outside the store's root.</summary>
public static class StoreNames
{
    public static string Check(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var valid = name.Length is > 0 and <= 200
            && !name.StartsWith('.')
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
        return valid
            ? name
            : throw new ArgumentException($"'{name}' is not a model name: use letters, digits, '-', '_' and '.', not starting with '.'.", nameof(name));
    }
}
