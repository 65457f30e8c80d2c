using System.Collections.Frozen;
using System.Text.Json;
using Inference.Serving;
using Models.Generation;

namespace Inference.Protocols.OpenAI;

/// <summary>
/// The fields completions and chat share: model, streaming, token limit and sampling. temperature 0 is greedy;
/// top_k, repetition_penalty and ignore_eos are vLLM's extensions. Fields OpenAI defines that this server does not
/// implement (n &gt; 1, penalties, logit_bias, logprobs) are accepted only at their defaults. A sampling field the
/// request leaves out (null here) takes the model's generation_config.json value, else the spec's default.
/// </summary>
internal sealed record SamplingParameters(
    string Model,
    bool Stream,
    bool IncludeUsage,
    int? MaxTokens,
    double? Temperature,
    double? TopP,
    int? TopK,
    double? RepetitionPenalty,
    int? Seed,
    IReadOnlyList<string> Stop,
    bool IgnoreEos)
{
    /// <summary>The spec's limit on stop sequences.</summary>
    public const int MaxStopSequences = 4;

    /// <summary>The spec's range for temperature is [0, 2]; the other bounds are every protocol's (<see cref="SamplingBounds"/>).</summary>
    public const double MaxTemperature = 2;

    private static readonly FrozenSet<string> StreamOptionFields = FrozenSet.ToFrozenSet(["include_usage"]);

    public static IReadOnlyList<string> Fields { get; } =
    [
        "model", "stream", "stream_options", "max_tokens", "temperature", "top_p", "n", "stop", "seed", "presence_penalty",
        "frequency_penalty", "logit_bias", "logprobs", "user", "top_k", "repetition_penalty", "ignore_eos",
    ];

    public static SamplingParameters Read(RequestFields fields, long? maxTokens)
    {
        var model = fields.RequiredString("model");
        fields.String("user"); // accepted, unused: type-checked only
        fields.OnlyDefault("n", v => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n == 1, "n = 1");
        fields.OnlyDefault("presence_penalty", IsZero, "0");
        fields.OnlyDefault("frequency_penalty", IsZero, "0");
        fields.OnlyDefault("logit_bias", v => v.ValueKind == JsonValueKind.Object && !v.EnumerateObject().Any(), "an empty object or null");
        var stream = fields.Bool("stream") ?? false;
        var includeUsage = ReadStreamOptions(fields, stream);
        return new SamplingParameters(
            model,
            stream,
            includeUsage,
            (int?)maxTokens,
            fields.Number("temperature") is { } temperature ? SamplingBounds.Temperature(temperature, "temperature", MaxTemperature) : null,
            fields.Number("top_p") is { } topP ? SamplingBounds.TopP(topP, "top_p") : null,
            fields.Integer("top_k") is { } topK ? SamplingBounds.TopK(topK, "top_k") : null,
            fields.Number("repetition_penalty") is { } penalty ? SamplingBounds.RepetitionPenalty(penalty, "repetition_penalty") : null,
            fields.Integer("seed") is { } seed ? SamplingBounds.Seed(seed) : null,
            ReadStop(fields),
            fields.Bool("ignore_eos") ?? false);
    }

    /// <summary>
    /// The engine's options for one prompt: <paramref name="maxNewTokens"/> resolved, plus the protocol's own stops;
    /// what the request left out from <paramref name="defaults"/> (as vLLM does), else the spec's default.
    /// </summary>
    public GenerationOptions ToOptions(int maxNewTokens, IReadOnlyList<string> extraStops, GenerationDefaults defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        var temperature = Temperature ?? defaults.Temperature ?? 1;
        return new()
        {
            MaxNewTokens = maxNewTokens,
            DoSample = temperature > 0,
            Temperature = temperature > 0 ? temperature : 1,
            TopP = TopP ?? defaults.TopP ?? 1,
            TopK = TopK ?? defaults.TopK ?? 0,
            RepetitionPenalty = RepetitionPenalty ?? defaults.RepetitionPenalty ?? 1,
            Seed = Seed,
            StopSequences = [.. Stop, .. extraStops],
            StopAtEndOfText = !IgnoreEos,
        };
    }

    private static bool IsZero(JsonElement value) => value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && number == 0;

    private static bool ReadStreamOptions(RequestFields fields, bool stream)
    {
        if (fields.Get("stream_options") is not { } options)
        {
            return false;
        }

        if (!stream)
        {
            throw new InvalidRequestException("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options");
        }

        return RequestFields.Read(options, StreamOptionFields, "stream_options").Bool("include_usage") ?? false;
    }

    private static string[] ReadStop(RequestFields fields)
    {
        string[] stops = fields.Get("stop") switch
        {
            null => [],
            { ValueKind: JsonValueKind.String } one => [one.GetString()!],
            { ValueKind: JsonValueKind.Array } many when many.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String) =>
                [.. many.EnumerateArray().Select(s => s.GetString()!)],
            _ => throw RequestFields.WrongType("stop", "a string or an array of strings"),
        };
        return stops.Length <= MaxStopSequences
            ? [.. stops.Where(s => s.Length > 0)]
            : throw new InvalidRequestException($"'stop' holds {stops.Length} sequences; at most {MaxStopSequences} are allowed.", "stop");
    }
}
