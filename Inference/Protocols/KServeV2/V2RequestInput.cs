using System.Text.Json;
using Inference.Serving;

namespace Inference.Protocols.KServeV2;

/// <summary>The one <c>$request_input</c>: BYTES of shape [N] or [N, 1], its N prompts in JSON <c>data</c> or in binary.</summary>
internal static class V2RequestInput
{
    public static List<string> Prompts(JsonElement input, ReadOnlyMemory<byte> binary, bool binaryHeader)
    {
        if (input.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException("Expected the input to be an object with name, shape, datatype and data.");
        }

        foreach (var property in input.EnumerateObject())
        {
            if (property.Name is not ("name" or "shape" or "datatype" or "parameters" or "data"))
            {
                throw new InvalidRequestException($"Unknown field '{property.Name}' in the input; an input has name, shape, datatype, parameters and data.");
            }
        }

        var name = input.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
            ? n.GetString()!
            : throw new InvalidRequestException("The input needs a \"name\" (a string).");
        var datatype = input.TryGetProperty("datatype", out var d) && d.ValueKind == JsonValueKind.String
            ? d.GetString()!
            : throw new InvalidRequestException($"Input '{name}' needs a \"datatype\"; this model takes text prompts as BYTES.");
        if (datatype != "BYTES")
        {
            throw new InvalidRequestException($"Input '{name}' has datatype {datatype}; this model takes text prompts as BYTES.");
        }

        var (count, shape) = Shape(input, name);
        var binarySize = BinaryDataSize(input, name);
        var hasData = input.TryGetProperty("data", out var data);
        List<string> prompts;
        if (binarySize is { } size)
        {
            if (hasData)
            {
                throw new InvalidRequestException($"Input '{name}' has both \"data\" and parameters.binary_data_size; send one.");
            }

            if (!binaryHeader)
            {
                throw new InvalidRequestException(
                    $"Input '{name}' has parameters.binary_data_size but the request has no {V2BinaryTensors.HeaderLengthHeader} header.");
            }

            if (size != binary.Length)
            {
                throw new InvalidRequestException($"Input '{name}' declares binary_data_size {size}, but {binary.Length} bytes follow the JSON header.");
            }

            prompts = V2BinaryTensors.DecodeStrings(binary.Span, name);
        }
        else
        {
            if (!binary.IsEmpty)
            {
                throw new InvalidRequestException($"{binary.Length} bytes follow the JSON header, but no input has parameters.binary_data_size.");
            }

            prompts = hasData
                ? Flatten(data, name)
                : throw new InvalidRequestException($"'data' field is missing for input '{name}' (and it has no parameters.binary_data_size).");
        }

        if (prompts.Count != count)
        {
            throw new InvalidRequestException($"Input '{name}' has shape {shape} ({count} elements) but its data holds {prompts.Count}.");
        }

        return count > 0 ? prompts : throw new InvalidRequestException($"Input '{name}' holds no prompts; send at least one.");
    }

    /// <summary>Refuses parameter names other than <paramref name="known"/>: a typo must not pass silently.</summary>
    public static void CheckParameterNames(JsonElement parameters, string owner, params string[] known)
    {
        if (parameters.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException($"Expected \"parameters\" of {owner} to be an object.");
        }

        foreach (var property in parameters.EnumerateObject())
        {
            if (!known.Contains(property.Name))
            {
                throw new InvalidRequestException($"Unknown parameter '{property.Name}' of {owner}; known: {string.Join(", ", known)}.");
            }
        }
    }

    /// <summary>N from shape [N] or [N, 1]: one prompt per row.</summary>
    private static (int Rows, string Text) Shape(JsonElement input, string name)
    {
        if (!input.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
            || shape.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.Number || !s.TryGetInt32(out var v) || v < 0))
        {
            throw new InvalidRequestException($"Input '{name}' needs a \"shape\": a list of non-negative integers.");
        }

        var dims = shape.EnumerateArray().Select(s => s.GetInt32()).ToArray();
        var text = $"[{string.Join(", ", dims)}]";
        return dims is [_] or [_, 1]
            ? (dims[0], text)
            : throw new InvalidRequestException($"Input '{name}' has shape {text}; expected [N] or [N, 1] for N prompts.");
    }

    private static long? BinaryDataSize(JsonElement input, string name)
    {
        if (!input.TryGetProperty("parameters", out var parameters))
        {
            return null;
        }

        // content_type is what KServe's own clients send with text ("str"); it changes nothing here.
        CheckParameterNames(parameters, $"input '{name}'", "binary_data_size", "content_type");
        if (!parameters.TryGetProperty("binary_data_size", out var size))
        {
            return null;
        }

        return size.ValueKind == JsonValueKind.Number && size.TryGetInt64(out var bytes) && bytes >= 0
            ? bytes
            : throw new InvalidRequestException($"Parameter 'binary_data_size' of input '{name}' must be a non-negative integer.");
    }

    /// <summary>Row-major data, flattened or nested one level ([N, 1] as [["a"], ["b"]]).</summary>
    private static List<string> Flatten(JsonElement data, string name)
    {
        if (data.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidRequestException($"Input '{name}': \"data\" must be a list of strings.");
        }

        var strings = new List<string>();
        foreach (var element in data.EnumerateArray())
        {
            var items = element.ValueKind == JsonValueKind.Array ? element.EnumerateArray().ToList() : [element];
            foreach (var item in items)
            {
                strings.Add(item.ValueKind == JsonValueKind.String
                    ? item.GetString()!
                    : throw new InvalidRequestException(
                        $"Input '{name}': element {strings.Count} of \"data\" is {item.ValueKind.ToString().ToLowerInvariant()}, not a string; BYTES data are strings."));
            }
        }

        return strings;
    }
}
