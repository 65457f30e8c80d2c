using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Inference.Serving;

namespace Inference.Protocols.KServeV2;

/// <summary>
/// <c>POST /v2/models/{name}/infer</c>: the prompts of the one BYTES input run as one batch through the scheduler;
/// the continuations come back as the BYTES output <c>text_output</c>, in JSON or as binary tensor data.
/// </summary>
internal static class V2Infer
{
    public static async Task<IResult> InferAsync(string name, HttpRequest request, IServedModel model)
    {
        model.EnsureServes(name);
        var aborted = request.HttpContext.RequestAborted;
        var body = await ReadBodyAsync(request, aborted);
        var header = request.Headers.TryGetValue(V2BinaryTensors.HeaderLengthHeader, out var value) ? value.ToString() : null;
        var infer = V2InferRequest.Parse(body, header, model.Info.Defaults.ApplyTo(Models.Generation.GenerationOptions.ExamplePredictorDefaults));
        var texts = await GenerateAsync(infer, model, aborted);
        if (!infer.BinaryOutput)
        {
            return Results.Bytes(ResponseJson(name, infer.Id, texts, binarySize: null), "application/json");
        }

        var blob = V2BinaryTensors.EncodeStrings(texts);
        var json = ResponseJson(name, infer.Id, texts, blob.Length);
        request.HttpContext.Response.Headers[V2BinaryTensors.HeaderLengthHeader] = json.Length.ToString(CultureInfo.InvariantCulture);
        return Results.Bytes([.. json, .. blob], "application/octet-stream");
    }

    /// <summary>The whole body in memory (binary requests need it); Kestrel's body-size limit bounds it (413).</summary>
    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    /// <summary>Submits every prompt, then awaits all: they run in the same batch when the queue is free.</summary>
    private static async Task<List<string>> GenerateAsync(V2InferRequest infer, IServedModel model, CancellationToken aborted)
    {
        var tokens = infer.Prompts.Select(prompt => PromptTokens.ForKServe(model, prompt, aborted)).ToList();

        // One failed submission (queue full, prompt too long) withdraws those already queued.
        using var batch = GenerationBatch.Submit(model, tokens, [.. tokens.Select(_ => infer.Options)], aborted);
        var results = await batch.CompleteAsync();
        return [.. results.Select((result, k) => (infer.ReturnFullText ? infer.Prompts[k] : "") + result.Text)];
    }

    /// <summary>The <c>$inference_response</c>; a binary output carries its blob's size instead of <c>data</c>.</summary>
    private static byte[] ResponseJson(string model, string id, List<string> texts, int? binarySize)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model_name", model);
            json.WriteString("id", id);
            json.WriteStartArray("outputs");
            json.WriteStartObject();
            json.WriteString("name", V2InferRequest.OutputName);
            json.WriteString("datatype", "BYTES");
            json.WriteStartArray("shape");
            json.WriteNumberValue(texts.Count);
            json.WriteEndArray();
            if (binarySize is { } size)
            {
                json.WriteStartObject("parameters");
                json.WriteNumber("binary_data_size", size);
                json.WriteEndObject();
            }
            else
            {
                json.WriteStartArray("data");
                foreach (var text in texts)
                {
                    json.WriteStringValue(text);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
