namespace Tensorizer.Format;

/// <summary>
/// The floating dtypes a person names in a setting or an option: the service's <c>DTYPE</c>, the converter's
/// <c>--dtype</c>, the AppHost's and the console's. <c>float16</c> (also <c>fp16</c>, <c>half</c>), <c>bfloat16</c>
/// (<c>bf16</c>) and <c>float32</c> (<c>fp32</c>, <c>float</c>), in any case; a conversion may also <see cref="Keep"/>
/// the checkpoint's dtypes. One parser, so that every program accepts the same spellings and refuses the same typos.
/// </summary>
public static class DtypeNames
{
    /// <summary>The conversion that leaves every tensor in its checkpoint's dtype.</summary>
    public const string Keep = "keep";

    /// <summary>The floating dtypes by their canonical names, as menus and messages list them.</summary>
    public static IReadOnlyList<string> Floating { get; } = ["float16", "bfloat16", "float32"];

    /// <summary>What a conversion takes: <see cref="Floating"/> and <see cref="Keep"/>.</summary>
    public static IReadOnlyList<string> ConversionChoices { get; } = [.. Floating, Keep];

    /// <summary>A floating dtype by any of its names; false for anything else (<see cref="Keep"/> included).</summary>
    public static bool TryParse(string? text, out TensorElementType type)
    {
        TensorElementType? parsed = text?.Trim().ToLowerInvariant() switch
        {
            "float16" or "fp16" or "half" => TensorElementType.Float16,
            "bfloat16" or "bf16" => TensorElementType.BFloat16,
            "float32" or "fp32" or "float" => TensorElementType.Float32,
            _ => null,
        };
        type = parsed ?? default;
        return parsed is not null;
    }

    /// <summary>A conversion's target: a floating dtype, or null for <see cref="Keep"/>; false for anything else.</summary>
    public static bool TryParseConversion(string? text, out TensorElementType? type)
    {
        if (string.Equals(text?.Trim(), Keep, StringComparison.OrdinalIgnoreCase))
        {
            type = null;
            return true;
        }

        var floating = TryParse(text, out var parsed);
        type = floating ? parsed : null;
        return floating;
    }

    /// <summary>A floating dtype; <paramref name="setting"/> (<c>DTYPE</c>, <c>--dtype</c>) names what was wrong.</summary>
    /// <exception cref="ArgumentException">Not a floating dtype's name.</exception>
    public static TensorElementType Parse(string? text, string setting) =>
        TryParse(text, out var type) ? type : throw new ArgumentException(Refusal(text, setting, Floating));

    /// <summary>A conversion's target (null keeps the checkpoint's dtypes); <paramref name="setting"/> names what was wrong.</summary>
    /// <exception cref="ArgumentException">Neither a floating dtype's name nor <see cref="Keep"/>.</exception>
    public static TensorElementType? ParseConversion(string? text, string setting) =>
        TryParseConversion(text, out var type) ? type : throw new ArgumentException(Refusal(text, setting, ConversionChoices));

    /// <summary>The message for a name that is not one of <paramref name="choices"/>.</summary>
    public static string Refusal(string? text, string setting, IReadOnlyList<string> choices) =>
        $"{setting} '{text}' is not {string.Join(", ", choices.Take(choices.Count - 1))} or {choices[^1]}.";

    /// <summary>The canonical name of a floating dtype.</summary>
    public static string NameOf(TensorElementType type) => type switch
    {
        TensorElementType.Float16 => "float16",
        TensorElementType.BFloat16 => "bfloat16",
        TensorElementType.Float32 => "float32",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a floating dtype a setting can name."),
    };
}
