using System.Text.Json;
using Models.Generation;

namespace Inference.Protocols;

/// <summary>
/// Generation parameters as KServe V1 and V2 requests carry them (<c>parameters</c>): max_new_tokens, temperature,
/// top_k, top_p, repetition_penalty, do_sample, seed, stop, return_full_text. Unknown names are refused.
/// </summary>
internal static class GenerationParameters
{
    private static readonly HashSet<string> Known =
        ["max_new_tokens", "max_tokens", "temperature", "top_k", "top_p", "repetition_penalty", "do_sample", "seed", "stop", "return_full_text", "binary_data_output"];

    /// <summary>Applies the parameters over <paramref name="defaults"/>; also says whether to return the prompt with the text.</summary>
    public static (GenerationOptions Options, bool ReturnFullText) Parse(JsonElement? parameters, GenerationOptions defaults, bool returnFullTextByDefault)
    {
        var options = defaults;
        var returnFullText = returnFullTextByDefault;
        if (parameters is not { } p || p.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return (options, returnFullText);
        }

        if (p.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException("Expected \"parameters\" to be an object.");
        }

        foreach (var property in p.EnumerateObject())
        {
            var value = property.Value;
            options = property.Name switch
            {
                "max_new_tokens" or "max_tokens" => options with { MaxNewTokens = Int(property) },
                "temperature" => options with { Temperature = Number(property), DoSample = Number(property) > 0 && options.DoSample },
                "top_k" => options with { TopK = Int(property) },
                "top_p" => options with { TopP = Number(property) },
                "repetition_penalty" => options with { RepetitionPenalty = Number(property) },
                "do_sample" => options with { DoSample = Bool(property) },
                "seed" => options with { Seed = Int(property) },
                "stop" => options with { StopSequences = Strings(property) },
                "return_full_text" or "binary_data_output" => options,
                _ => throw new InvalidRequestException($"Unknown parameter '{property.Name}'; known: {string.Join(", ", Known.Order())}."),
            };
            if (property.Name == "return_full_text")
            {
                returnFullText = Bool(property);
            }
        }

        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidRequestException(e.Message);
        }

        return (options, returnFullText);
    }

    private static int Int(JsonProperty p) => p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out var v)
        ? v
        : throw new InvalidRequestException($"Parameter '{p.Name}' must be an integer.");

    private static double Number(JsonProperty p) => p.Value.ValueKind == JsonValueKind.Number
        ? p.Value.GetDouble()
        : throw new InvalidRequestException($"Parameter '{p.Name}' must be a number.");

    private static bool Bool(JsonProperty p) => p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False
        ? p.Value.GetBoolean()
        : throw new InvalidRequestException($"Parameter '{p.Name}' must be true or false.");

    private static string[] Strings(JsonProperty p) => p.Value.ValueKind switch
    {
        JsonValueKind.String => [p.Value.GetString()!],
        JsonValueKind.Array when p.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) => [.. p.Value.EnumerateArray().Select(e => e.GetString()!)],
        _ => throw new InvalidRequestException($"Parameter '{p.Name}' must be a string or a list of strings."),
    };
}
