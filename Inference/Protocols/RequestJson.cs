using System.Text.Json;
using Inference.Serving;

namespace Inference.Protocols;

/// <summary>
/// Request bodies as JSON documents whose every string and field name is Unicode text. The JSON reader accepts raw
/// invalid UTF-8 and lone or reversed UTF-16 surrogate escapes (<c>"\ud800"</c>) inside strings and only fails when
/// one is read (<see cref="JsonElement.GetString"/> throws <see cref="InvalidOperationException"/>); checking the whole
/// document once, right after parsing, makes that a 400 naming the field in every protocol and leaves every later read safe.
/// </summary>
internal static class RequestJson
{
    /// <exception cref="JsonException">The body is not JSON.</exception>
    /// <exception cref="InvalidRequestException">A string or field name is not valid text.</exception>
    public static async Task<JsonDocument> ParseAsync(Stream body, CancellationToken cancellationToken)
    {
        var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        return Checked(document);
    }

    /// <summary>Returns <paramref name="document"/> if all its text is valid; otherwise disposes it and throws.</summary>
    /// <exception cref="InvalidRequestException">A string or field name is not valid text.</exception>
    public static JsonDocument Checked(JsonDocument document)
    {
        if (FindInvalid(document.RootElement) is not { } invalid)
        {
            return document;
        }

        document.Dispose();
        var path = invalid.Path.TrimStart('.');
        var what = invalid.IsName
            ? path.Length == 0 ? "A field name of the request" : $"A field name in '{path}'"
            : $"The string at '{path}'";
        throw new InvalidRequestException(
            $"{what} is not valid text: it holds invalid UTF-8 or an unpaired UTF-16 surrogate.", path.Length == 0 ? null : path);
    }

    /// <summary>Where the first invalid string or field name is (a path such as <c>.messages[1].content</c>), or null.</summary>
    private static (string Path, bool IsName)? FindInvalid(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Decodes(() => element.GetString()) ? null : ("", false);
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindInvalid(item) is { } inner)
                    {
                        return ($"[{index}]{inner.Path}", inner.IsName);
                    }

                    index++;
                }

                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!Decodes(() => property.Name))
                    {
                        return ("", true);
                    }

                    if (FindInvalid(property.Value) is { } inner)
                    {
                        return ($".{property.Name}{inner.Path}", inner.IsName);
                    }
                }

                return null;
            default:
                return null;
        }
    }

    // The reader's only failure for a string token is text that does not transcode to UTF-16.
    private static bool Decodes(Func<string?> read)
    {
        try
        {
            read();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
