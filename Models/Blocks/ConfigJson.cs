using System.Text.Json;

namespace Models.Blocks;

/// <summary>
/// Typed reads of <c>config.json</c> values: a key that is absent or null gives null; a key present with the wrong
/// JSON type is an error that names it, never a silent default.
/// </summary>
internal static class ConfigJson
{
    public static int? Int(JsonElement json, string name) =>
        Get(json, name) is { } value
            ? value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : throw Invalid(name, value, "an integer")
            : null;

    public static double? Double(JsonElement json, string name) =>
        Get(json, name) is { } value
            ? value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw Invalid(name, value, "a number")
            : null;

    public static bool? Bool(JsonElement json, string name) =>
        Get(json, name) is { } value
            ? value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Invalid(name, value, "true or false"),
            }
            : null;

    public static string? String(JsonElement json, string name) =>
        Get(json, name) is { } value
            ? value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Invalid(name, value, "a string")
            : null;

    /// <summary>An integer or a list of integers (<c>eos_token_id</c> is a list in Llama 3's config); empty when absent.</summary>
    public static IReadOnlyList<int> IntOrList(JsonElement json, string name)
    {
        if (Get(json, name) is not { } value)
        {
            return [];
        }

        if (value.ValueKind == JsonValueKind.Array)
        {
            return [.. value.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out var id) ? id : throw Invalid(name, value, "an integer or a list of integers"))];
        }

        return [Int(json, name)!.Value];
    }

    /// <summary>The object under <paramref name="name"/>, or null when absent or null.</summary>
    public static JsonElement? Object(JsonElement json, string name) =>
        Get(json, name) is { } value
            ? value.ValueKind == JsonValueKind.Object ? value : throw Invalid(name, value, "an object")
            : null;

    private static JsonElement? Get(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static InvalidDataException Invalid(string name, JsonElement value, string expected) =>
        new($"config.json: {name} is {value.GetRawText()}, not {expected}.");
}
