using System.Text.Json;
using Inference.Serving;
using Models.Generation;

namespace Inference.Protocols;

/// <summary>
/// Generation parameters as KServe V1 and V2 requests carry them (<c>parameters</c>): max_new_tokens, temperature,
/// top_k, top_p, repetition_penalty, do_sample, seed, stop, return_full_text. Unknown names are refused; numbers are
/// range-checked here (<see cref="SamplingBounds"/>) so that no value can overflow or fail later, in a batch.
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
                "max_new_tokens" or "max_tokens" => options with { MaxNewTokens = (int)Integer(property, 0, int.MaxValue) },
                "temperature" => Temperature(options, SamplingBounds.Temperature(Number(property), property.Name)),
                "top_k" => options with { TopK = SamplingBounds.TopK(Integer(property, long.MinValue, long.MaxValue), property.Name) },
                "top_p" => options with { TopP = SamplingBounds.TopP(Number(property), property.Name) },
                "repetition_penalty" => options with { RepetitionPenalty = SamplingBounds.RepetitionPenalty(Number(property), property.Name) },
                "do_sample" => options with { DoSample = Bool(property) },
                "seed" => options with { Seed = SamplingBounds.Seed(Integer(property, long.MinValue, long.MaxValue)) },
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

    // Temperature 0 is greedy decoding.
    private static GenerationOptions Temperature(GenerationOptions options, double temperature) =>
        options with { Temperature = temperature, DoSample = temperature > 0 && options.DoSample };

    private static long Integer(JsonProperty p, long min, long max) =>
        p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt64(out var v) && v >= min && v <= max
            ? v
            : throw new InvalidRequestException(
                min == long.MinValue ? $"Parameter '{p.Name}' must be an integer." : $"Parameter '{p.Name}' must be an integer between {min} and {max}.", p.Name);

    // A number too large for a double (1e400) reads as infinity: refused, as every non-finite value.
    private static double Number(JsonProperty p) => p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetDouble(out var v) && double.IsFinite(v)
        ? v
        : throw new InvalidRequestException($"Parameter '{p.Name}' must be a finite number.", p.Name);

    private static bool Bool(JsonProperty p) => p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False
        ? p.Value.GetBoolean()
        : throw new InvalidRequestException($"Parameter '{p.Name}' must be true or false.", p.Name);

    private static string[] Strings(JsonProperty p) => p.Value.ValueKind switch
    {
        JsonValueKind.String => [p.Value.GetString()!],
        JsonValueKind.Array when p.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) => [.. p.Value.EnumerateArray().Select(e => e.GetString()!)],
        _ => throw new InvalidRequestException($"Parameter '{p.Name}' must be a string or a list of strings.", p.Name),
    };
}
