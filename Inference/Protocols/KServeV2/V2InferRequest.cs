using System.Globalization;
using System.Text.Json;
using Inference.Serving;
using Models.Generation;

namespace Inference.Protocols.KServeV2;

/// <summary>A validated <c>$inference_request</c>: the prompts of its one BYTES input and how to answer.</summary>
internal sealed record V2InferRequest(string Id, IReadOnlyList<string> Prompts, GenerationOptions Options, bool ReturnFullText, bool BinaryOutput)
{
    public const string OutputName = "text_output";

    /// <summary>
    /// Parses a body: all JSON, or (with <paramref name="headerLength"/>) a JSON header of that many bytes followed by
    /// the binary tensor data of the inputs that carry <c>parameters.binary_data_size</c>. Parameters not given take
    /// <paramref name="defaults"/> (the seed's, with the model's generation_config.json over them).
    /// </summary>
    public static V2InferRequest Parse(ReadOnlyMemory<byte> body, string? headerLength, GenerationOptions defaults)
    {
        var (json, binary) = Split(body, headerLength);
        using var document = ParseJson(json, binaryHeader: headerLength is not null);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException("Expected the inference request to be a JSON object.");
        }

        foreach (var property in root.EnumerateObject())
        {
            if (property.Name is not ("id" or "parameters" or "inputs" or "outputs"))
            {
                throw new InvalidRequestException($"Unknown field '{property.Name}'; an inference request has id, parameters, inputs and outputs.");
            }
        }

        var id = root.TryGetProperty("id", out var i) && i.ValueKind != JsonValueKind.Null
            ? i.ValueKind == JsonValueKind.String ? i.GetString()! : throw new InvalidRequestException("Expected \"id\" to be a string.")
            : Guid.NewGuid().ToString(); // KServe's response schema requires an id: make one up when the client gave none

        JsonElement? parameters = root.TryGetProperty("parameters", out var p) ? p : null;
        var (options, returnFullText) = GenerationParameters.Parse(parameters, defaults, returnFullTextByDefault: false);
        var binaryOutput = Flag(parameters, "binary_data_output", "Parameter 'binary_data_output'") ?? false;

        if (!root.TryGetProperty("inputs", out var inputs))
        {
            throw new InvalidRequestException("Missing \"inputs\": an inference request needs one BYTES input holding the prompts.");
        }

        if (inputs.ValueKind != JsonValueKind.Array || inputs.GetArrayLength() != 1)
        {
            throw new InvalidRequestException(inputs.ValueKind == JsonValueKind.Array
                ? $"Expected exactly one input (BYTES, the prompts); got {inputs.GetArrayLength()}."
                : "Expected \"inputs\" to be a list.");
        }

        var prompts = V2RequestInput.Prompts(inputs[0], binary, binaryHeader: headerLength is not null);
        binaryOutput = Outputs(root.TryGetProperty("outputs", out var o) ? o : null, binaryOutput);
        return new V2InferRequest(id, prompts, options, returnFullText, binaryOutput);
    }

    private static (ReadOnlyMemory<byte> Json, ReadOnlyMemory<byte> Binary) Split(ReadOnlyMemory<byte> body, string? headerLength)
    {
        if (headerLength is null)
        {
            return (body, ReadOnlyMemory<byte>.Empty);
        }

        if (!int.TryParse(headerLength, NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length > body.Length)
        {
            throw new InvalidRequestException(
                $"Invalid {V2BinaryTensors.HeaderLengthHeader} '{headerLength}': expected the JSON header's length in bytes, at most the body's {body.Length}.");
        }

        return (body[..length], body[length..]);
    }

    private static JsonDocument ParseJson(ReadOnlyMemory<byte> json, bool binaryHeader)
    {
        try
        {
            return RequestJson.Checked(JsonDocument.Parse(json));
        }
        catch (JsonException e)
        {
            throw new InvalidRequestException(binaryHeader
                ? $"Unrecognized request format: the JSON header is not valid JSON ({e.Message})"
                : $"Unrecognized request format: the body is not JSON ({e.Message}); binary tensor data needs the {V2BinaryTensors.HeaderLengthHeader} header.");
        }
    }

    /// <summary>The requested outputs may only name ours; says whether to send it binary (the output's flag wins).</summary>
    private static bool Outputs(JsonElement? outputs, bool binaryOutput)
    {
        if (outputs is not { } list || list.ValueKind == JsonValueKind.Null)
        {
            return binaryOutput;
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidRequestException("Expected \"outputs\" to be a list.");
        }

        foreach (var output in list.EnumerateArray())
        {
            if (output.ValueKind != JsonValueKind.Object || !output.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
            {
                throw new InvalidRequestException("Expected each requested output to be an object with a \"name\".");
            }

            if (name.GetString() != OutputName)
            {
                throw new InvalidRequestException($"Unknown output '{name.GetString()}'; this model has one output, {OutputName}.");
            }

            foreach (var property in output.EnumerateObject())
            {
                if (property.Name is not ("name" or "parameters"))
                {
                    throw new InvalidRequestException($"Unknown field '{property.Name}' in output {OutputName}; an output has name and parameters.");
                }
            }

            if (output.TryGetProperty("parameters", out var parameters))
            {
                V2RequestInput.CheckParameterNames(parameters, $"output {OutputName}", "binary_data");
                binaryOutput = Flag(parameters, "binary_data", $"Parameter 'binary_data' of output {OutputName}") ?? binaryOutput;
            }
        }

        return binaryOutput;
    }

    private static bool? Flag(JsonElement? parameters, string name, string what) =>
        parameters is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var value)
            ? value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw new InvalidRequestException($"{what} must be true or false.")
            : null;
}
