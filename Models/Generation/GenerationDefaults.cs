using System.Text.Json;

namespace Models.Generation;

/// <summary>
/// A model folder's <c>generation_config.json</c>: the end-of-text ids generation stops at (a list for Llama 3:
/// <c>&lt;|end_of_text|&gt;</c>, <c>&lt;|eom_id|&gt;</c>, <c>&lt;|eot_id|&gt;</c>) and the sampling settings a
/// request that names none gets (temperature, top_p, top_k, repetition_penalty, max_new_tokens), as vLLM and
/// transformers' <c>generate</c> take them. Without the file, <c>config.json</c>'s <c>eos_token_id</c> (as transformers
/// derives a generation config from the model's). <c>do_sample</c> is read but each protocol keeps its own rule (OpenAI:
/// temperature &gt; 0 samples; KServe: the seed pipeline's sampling); <c>max_length</c> and the beam, length and
/// watermark settings are not used.
/// </summary>
public sealed record GenerationDefaults
{
    public const string FileName = "generation_config.json";

    /// <summary>No file: no end-of-text ids and no sampling defaults.</summary>
    public static GenerationDefaults None { get; } = new();

    /// <summary>Generation stops at each of these ids (with the model's and the tokenizer's end-of-text).</summary>
    public IReadOnlyList<int> EndOfTextIds { get; init; } = [];

    public double? Temperature { get; init; }

    public double? TopP { get; init; }

    public int? TopK { get; init; }

    public double? RepetitionPenalty { get; init; }

    public int? MaxNewTokens { get; init; }

    public bool? DoSample { get; init; }

    /// <summary>Reads <c>generation_config.json</c> from <paramref name="folder"/>, else <c>config.json</c>'s end-of-text ids.</summary>
    /// <exception cref="InvalidDataException">The file is not JSON, or a setting it gives is out of range; the message names it.</exception>
    public static GenerationDefaults Read(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            var configPath = Path.Combine(folder, "config.json");
            if (!File.Exists(configPath))
            {
                return None;
            }

            using var config = Parse(configPath);
            return new GenerationDefaults { EndOfTextIds = Ids(config.RootElement, "eos_token_id", configPath) };
        }

        using var document = Parse(path);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{path}: not a JSON object.");
        }

        return new GenerationDefaults
        {
            EndOfTextIds = Ids(root, "eos_token_id", path),
            Temperature = Number(root, "temperature", path, v => v >= 0, "a finite number ≥ 0"),
            TopP = Number(root, "top_p", path, v => v is > 0 and <= 1, "greater than 0 and at most 1"),
            TopK = Integer(root, "top_k", path),
            RepetitionPenalty = Number(root, "repetition_penalty", path, v => v > 0, "a finite number greater than 0"),
            MaxNewTokens = Integer(root, "max_new_tokens", path),
            DoSample = root.TryGetProperty("do_sample", out var sample) && sample.ValueKind is JsonValueKind.True or JsonValueKind.False ? sample.GetBoolean() : null,
        };
    }

    /// <summary><paramref name="options"/> with this file's sampling settings where it gives them (a protocol's defaults, before the request's own).</summary>
    public GenerationOptions ApplyTo(GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options with
        {
            Temperature = Temperature ?? options.Temperature,
            TopP = TopP ?? options.TopP,
            TopK = TopK ?? options.TopK,
            RepetitionPenalty = RepetitionPenalty ?? options.RepetitionPenalty,
            MaxNewTokens = MaxNewTokens ?? options.MaxNewTokens,
        };
    }

    private static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e);
        }
    }

    // An id, a list of ids, or null.
    private static int[] Ids(JsonElement root, string name, string path)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        static bool IsId(JsonElement e, out int id)
        {
            id = 0;
            return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out id) && id >= 0;
        }

        if (IsId(value, out var single))
        {
            return [single];
        }

        if (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => IsId(e, out _)))
        {
            return [.. value.EnumerateArray().Select(e => e.GetInt32()).Distinct()];
        }

        throw new InvalidDataException($"{path}: \"{name}\" must be a token id or a list of token ids, not {value.GetRawText()}.");
    }

    private static double? Number(JsonElement root, string name, string path, Func<double, bool> valid, string expected)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number) && valid(number)
            ? number
            : throw new InvalidDataException($"{path}: \"{name}\" is {value.GetRawText()}; it must be {expected}.");
    }

    private static int? Integer(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= 0
            ? number
            : throw new InvalidDataException($"{path}: \"{name}\" is {value.GetRawText()}; it must be an integer ≥ 0.");
    }
}
