using System.Text.Json;
using Inference.Serving;

namespace Inference.Protocols.OpenAI;

/// <summary>
/// A request object's fields, read strictly: a field the endpoint does not know is refused (typos are caught, not
/// ignored), and every error names the field (with its path inside the body, such as <c>messages[1].role</c>).
/// JSON null reads as absent, as OpenAI's spec allows.
/// </summary>
internal sealed class RequestFields
{
    private readonly JsonElement _object;
    private readonly string? _path;

    private RequestFields(JsonElement value, string? path) => (_object, _path) = (value, path);

    public static RequestFields Read(JsonElement value, IReadOnlySet<string> known, string? path = null)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException(path is null ? "The request body must be a JSON object." : $"'{path}' must be an object.", path, "invalid_type");
        }

        var fields = new RequestFields(value, path);
        foreach (var property in value.EnumerateObject())
        {
            if (!known.Contains(property.Name))
            {
                var name = fields.Name(property.Name);
                throw new InvalidRequestException($"Unrecognized request argument supplied: {name}", name, "unknown_parameter");
            }
        }

        return fields;
    }

    public static InvalidRequestException WrongType(string name, string expected) =>
        new InvalidRequestException($"'{name}' must be {expected}.", name, "invalid_type");

    /// <summary>The field's value, or null when it is absent or JSON null.</summary>
    public JsonElement? Get(string name) =>
        _object.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public JsonElement Required(string name) =>
        Get(name) ?? throw new InvalidRequestException($"'{Name(name)}' is a required property.", Name(name), "missing_required_parameter");

    public string? String(string name) => Get(name) is not { } value ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString() : throw WrongType(Name(name), "a string");

    public string RequiredString(string name) =>
        Required(name).ValueKind == JsonValueKind.String ? String(name)! : throw WrongType(Name(name), "a string");

    public bool? Bool(string name) => Get(name) is not { } value ? null
        : value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw WrongType(Name(name), "a boolean");

    /// <summary>Any 64-bit integer; its range is the caller's to check.</summary>
    public long? Integer(string name) => Integer(name, long.MinValue, long.MaxValue);

    public long? Integer(string name, long min, long max)
    {
        if (Get(name) is not { } value)
        {
            return null;
        }

        // 16.0 is an integer too (JSON does not tell them apart), 16.5 is not.
        var integer = value.ValueKind != JsonValueKind.Number ? null
            : value.TryGetInt64(out var i) ? i
            : value.TryGetDouble(out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e18 ? (long?)d
            : null;
        return integer is not { } n ? throw WrongType(Name(name), "an integer")
            : n < min || n > max ? throw new InvalidRequestException($"{n} is out of range for '{Name(name)}': it must be between {min} and {max}.", Name(name))
            : n;
    }

    /// <summary>Any finite number; its range is the caller's to check.</summary>
    public double? Number(string name) => Number(name, double.MinValue, double.MaxValue);

    public double? Number(string name, double min, double max)
    {
        if (Get(name) is not { } value)
        {
            return null;
        }

        var number = value.ValueKind == JsonValueKind.Number ? Finite(value, Name(name)) : throw WrongType(Name(name), "a number");
        return number >= min && number <= max ? number
            : throw new InvalidRequestException($"{number} is out of range for '{Name(name)}': it must be between {min} and {max}.", Name(name));
    }

    /// <summary>A JSON number as a double; one too large for it (<c>1e400</c>, read as infinity) is refused.</summary>
    private static double Finite(JsonElement number, string name) =>
        number.TryGetDouble(out var value) && double.IsFinite(value) ? value : throw new InvalidRequestException($"'{name}' must be a finite number.", name);

    /// <summary>A field this server accepts only at its default (a feature it does not implement): 400 otherwise.</summary>
    public void OnlyDefault(string name, Func<JsonElement, bool> isDefault, string allowed)
    {
        if (Get(name) is { } value && !isDefault(value))
        {
            throw Unsupported(name, $"only {allowed} is accepted (got {value.GetRawText()})");
        }
    }

    public InvalidRequestException Unsupported(string name, string detail) =>
        new($"'{Name(name)}' is not supported by this server: {detail}.", Name(name), "unsupported_value");

    /// <summary>The field's name as errors give it: with its path inside the body.</summary>
    public string Name(string name) => _path is null ? name : $"{_path}.{name}";
}
