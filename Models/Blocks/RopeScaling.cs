using System.Text.Json;

namespace Models.Blocks;

/// <summary>
/// <c>rope_scaling</c> as Hugging Face's rotary initializers read it (<c>modeling_rope_utils.py</c>): <c>linear</c>
/// (position interpolation), <c>dynamic</c> (NTK-aware, growing with the sequence), <c>llama3</c> (Llama 3.1's
/// per-wavelength interpolation). Any other type (yarn, longrope, …) is refused by name.
/// </summary>
public sealed record RopeScaling(string Type, double Factor)
{
    public static IReadOnlyList<string> SupportedTypes { get; } = ["linear", "dynamic", "llama3"];

    /// <summary>llama3: low_freq_factor.</summary>
    public double LowFrequencyFactor { get; init; }

    /// <summary>llama3: high_freq_factor.</summary>
    public double HighFrequencyFactor { get; init; }

    /// <summary>llama3: original_max_position_embeddings, the pre-training context.</summary>
    public int OriginalContext { get; init; }

    /// <summary>
    /// Reads <c>rope_scaling</c> (or transformers 5's <c>rope_parameters</c>); null when absent, null or of type
    /// <c>default</c>. Keys the types do not use (e.g. <c>original_max_position_embeddings</c> beside a linear
    /// factor, which Hugging Face ignores too) are ignored.
    /// </summary>
    public static RopeScaling? FromJson(JsonElement config)
    {
        var scaling = ConfigJson.Object(config, "rope_scaling") ?? ConfigJson.Object(config, "rope_parameters");
        if (scaling is not { } json)
        {
            return null;
        }

        var type = ConfigJson.String(json, "rope_type") ?? ConfigJson.String(json, "type") ?? "default";
        if (type == "default")
        {
            return null;
        }

        if (!SupportedTypes.Contains(type))
        {
            throw new NotSupportedException($"config.json: rope_scaling type '{type}' is not supported; supported: {string.Join(", ", SupportedTypes)}.");
        }

        var factor = ConfigJson.Double(json, "factor") ?? throw new InvalidDataException($"config.json: rope_scaling of type '{type}' lacks factor.");
        if (!(factor >= 1.0))
        {
            throw new InvalidDataException($"config.json: rope_scaling factor {factor} must be at least 1.");
        }

        if (type != "llama3")
        {
            return new RopeScaling(type, factor);
        }

        var scaled = new RopeScaling(type, factor)
        {
            LowFrequencyFactor = ConfigJson.Double(json, "low_freq_factor") ?? throw Lacks("low_freq_factor"),
            HighFrequencyFactor = ConfigJson.Double(json, "high_freq_factor") ?? throw Lacks("high_freq_factor"),
            OriginalContext = ConfigJson.Int(json, "original_max_position_embeddings") ?? throw Lacks("original_max_position_embeddings"),
        };
        if (!(scaled.HighFrequencyFactor > scaled.LowFrequencyFactor) || scaled.LowFrequencyFactor <= 0 || scaled.OriginalContext <= 0)
        {
            throw new InvalidDataException(
                $"config.json: llama3 rope_scaling needs 0 < low_freq_factor ({scaled.LowFrequencyFactor}) < high_freq_factor ({scaled.HighFrequencyFactor}) and original_max_position_embeddings ({scaled.OriginalContext}) > 0.");
        }

        return scaled;

        static InvalidDataException Lacks(string key) => new($"config.json: llama3 rope_scaling lacks {key}.");
    }

    /// <summary>
    /// The context the server allows: max_position_embeddings × factor for linear and dynamic scaling (their point is
    /// to go past the trained context; vLLM derives its max_model_len the same way), max_position_embeddings otherwise
    /// (Llama 3.1's config already states the extended 131072).
    /// </summary>
    public int ContextLength(int maxPositionEmbeddings) =>
        Type is "linear" or "dynamic" ? (int)Math.Min(int.MaxValue, Math.Floor(maxPositionEmbeddings * Factor)) : maxPositionEmbeddings;
}

/// <summary>
/// What fixes a model's rotary angles: the dims rotated per head, the base (<c>rope_theta</c>), the scaling and the
/// trained context (dynamic scaling starts past it). Frequencies are computed as Hugging Face computes them, in
/// float32, so angles round the same way.
/// </summary>
public sealed record RopeParameters(int RotaryDim, double Theta, RopeScaling? Scaling, int MaxPositionEmbeddings)
{
    /// <summary>Dynamic scaling changes the frequencies with the sequence length; the others are fixed.</summary>
    public bool DependsOnLength => Scaling?.Type == "dynamic";

    /// <summary>
    /// inv_freq[j] for a forward pass whose longest sequence is <paramref name="sequenceLength"/> tokens (only
    /// dynamic scaling looks at it), as float32 values.
    /// </summary>
    public double[] InverseFrequencies(long sequenceLength = 0)
    {
        var theta = Theta;
        if (Scaling is { Type: "dynamic" } dynamic && sequenceLength > MaxPositionEmbeddings)
        {
            // _compute_dynamic_ntk_parameters: base · ((factor · seq_len / max_pos) − (factor − 1))^(dim / (dim − 2)).
            theta *= Math.Pow((dynamic.Factor * sequenceLength / MaxPositionEmbeddings) - (dynamic.Factor - 1), RotaryDim / (RotaryDim - 2.0));
        }

        var pairs = RotaryDim / 2;
        var frequencies = new double[pairs];
        for (var j = 0; j < pairs; j++)
        {
            // 1 / base^(arange(0, dim, 2) / dim), in float32.
            var exponent = (float)(2 * j) / RotaryDim;
            var frequency = 1f / MathF.Pow((float)theta, exponent);
            frequencies[j] = Scaling?.Type switch
            {
                "linear" => frequency / (float)Scaling.Factor,
                "llama3" => Llama3(frequency, Scaling),
                _ => frequency,
            };
        }

        return frequencies;
    }

    /// <summary>_compute_llama3_parameters: long wavelengths divided by factor, short ones kept, the band between blended.</summary>
    private static float Llama3(float frequency, RopeScaling scaling)
    {
        var factor = (float)scaling.Factor;
        var lowFrequencyWavelength = (float)(scaling.OriginalContext / scaling.LowFrequencyFactor);
        var highFrequencyWavelength = (float)(scaling.OriginalContext / scaling.HighFrequencyFactor);
        var wavelength = (float)(2 * Math.PI) / frequency;
        if (wavelength < highFrequencyWavelength)
        {
            return frequency;
        }

        if (wavelength > lowFrequencyWavelength)
        {
            return frequency / factor;
        }

        var smooth = ((scaling.OriginalContext / wavelength) - (float)scaling.LowFrequencyFactor) / (float)(scaling.HighFrequencyFactor - scaling.LowFrequencyFactor);
        return ((1 - smooth) * frequency / factor) + (smooth * frequency);
    }
}
