using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Inference.Tests;

/// <summary>The Open Inference Protocol (KServe V2) over REST, against the real service; bodies checked against the spec's schemas.</summary>
public class KServeV2Tests(InferenceServer server) : IClassFixture<InferenceServer>
{
    private const string Infer = "/v2/models/gptj/infer";

    private const string TwoPrompts = """
        {"id": "request-7", "parameters": {"max_new_tokens": 6, "seed": 11},
         "inputs": [{"name": "text_input", "datatype": "BYTES", "shape": [2], "data": ["Hello", "Once upon a time"]}]}
        """;

    [Fact]
    public async Task Health_answers_live_and_ready()
    {
        var live = await server.Client.GetAsync("/v2/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.True((await InferenceServer.JsonAsync(live)).GetProperty("live").GetBoolean());
        var ready = await server.Client.GetAsync("/v2/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.True((await InferenceServer.JsonAsync(ready)).GetProperty("ready").GetBoolean());
    }

    [SkippableTheory]
    [InlineData("/v2")]
    [InlineData("/v2/")]
    public async Task Server_metadata_names_the_server_and_the_binary_extension(string path)
    {
        var metadata = await server.Client.GetFromJsonAsync<JsonElement>(path);
        V2Schema.AssertValid("metadata_server_response", metadata);
        Assert.Equal("tensorizer-dotnet", metadata.GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(metadata.GetProperty("version").GetString()));
        Assert.Equal(["binary_tensor_data"], metadata.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
    }

    [SkippableFact]
    public async Task Models_are_listed_described_and_ready()
    {
        var list = await server.Client.GetFromJsonAsync<JsonElement>("/v2/models");
        Assert.Equal("gptj", Assert.Single(list.GetProperty("models").EnumerateArray()).GetString());

        var metadata = await server.Client.GetFromJsonAsync<JsonElement>("/v2/models/gptj");
        V2Schema.AssertValid("metadata_model_response", metadata);
        Assert.Equal("gptj", metadata.GetProperty("name").GetString());
        Assert.Equal("torchsharp", metadata.GetProperty("platform").GetString());
        Assert.Equal(0, metadata.GetProperty("versions").GetArrayLength());
        var input = Assert.Single(metadata.GetProperty("inputs").EnumerateArray());
        Assert.Equal(("text_input", "BYTES", -1), (input.GetProperty("name").GetString(), input.GetProperty("datatype").GetString(), input.GetProperty("shape")[0].GetInt32()));
        var output = Assert.Single(metadata.GetProperty("outputs").EnumerateArray());
        Assert.Equal(("text_output", "BYTES", -1), (output.GetProperty("name").GetString(), output.GetProperty("datatype").GetString(), output.GetProperty("shape")[0].GetInt32()));

        var ready = await server.Client.GetFromJsonAsync<JsonElement>("/v2/models/gptj/ready");
        Assert.Equal("gptj", ready.GetProperty("name").GetString());
        Assert.True(ready.GetProperty("ready").GetBoolean());
    }

    [SkippableFact]
    public async Task Two_prompts_give_two_outputs_and_the_id_comes_back()
    {
        V2Schema.AssertValid("inference_request", TwoPrompts);
        var response = await PostAsync(Infer, TwoPrompts);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await InferenceServer.JsonAsync(response);
        V2Schema.AssertValid("inference_response", json);
        Assert.Equal("gptj", json.GetProperty("model_name").GetString());
        Assert.Equal("request-7", json.GetProperty("id").GetString());
        Assert.False(json.TryGetProperty("model_version", out _));
        var output = Assert.Single(json.GetProperty("outputs").EnumerateArray());
        Assert.Equal("text_output", output.GetProperty("name").GetString());
        Assert.Equal("BYTES", output.GetProperty("datatype").GetString());
        Assert.Equal(2, Assert.Single(output.GetProperty("shape").EnumerateArray()).GetInt32());
        Assert.Equal(2, output.GetProperty("data").GetArrayLength());
        Assert.All(output.GetProperty("data").EnumerateArray(), text => Assert.Equal(JsonValueKind.String, text.ValueKind));
    }

    [SkippableFact]
    public async Task Seeded_requests_repeat_and_nested_data_is_the_same_request()
    {
        var first = await Texts(await PostAsync(Infer, TwoPrompts));
        Assert.Equal(first, await Texts(await PostAsync(Infer, TwoPrompts)));

        // [N, 1] with one level of nesting, and the output named explicitly: the same prompts, the same texts.
        var nested = """
            {"id": "n", "parameters": {"max_new_tokens": 6, "seed": 11}, "outputs": [{"name": "text_output"}],
             "inputs": [{"name": "prompts", "datatype": "BYTES", "shape": [2, 1], "data": [["Hello"], ["Once upon a time"]]}]}
            """;
        V2Schema.AssertValid("inference_request", nested);
        Assert.Equal(first, await Texts(await PostAsync(Infer, nested)));
    }

    [SkippableFact]
    public async Task Without_an_id_the_response_gets_a_uuid_and_full_text_is_opt_in()
    {
        const string body = """
            {"parameters": {"max_new_tokens": 3, "return_full_text": true},
             "inputs": [{"name": "text_input", "datatype": "BYTES", "shape": [1], "data": ["Once upon a time"]}]}
            """;
        var json = await InferenceServer.JsonAsync(await PostAsync(Infer, body));
        V2Schema.AssertValid("inference_response", json);
        Assert.True(Guid.TryParse(json.GetProperty("id").GetString(), out _));
        Assert.StartsWith("Once upon a time", json.GetProperty("outputs")[0].GetProperty("data")[0].GetString()!, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_binary_request_is_the_same_request_as_json()
    {
        const string header = """
            {"id": "request-7", "parameters": {"max_new_tokens": 6, "seed": 11},
             "inputs": [{"name": "text_input", "datatype": "BYTES", "shape": [2], "parameters": {"binary_data_size": 29}}]}
            """;
        var blob = V2Wire.BytesTensor("Hello", "Once upon a time");
        Assert.Equal(29, blob.Length); // 4 + "Hello" + 4 + "Once upon a time"
        var response = await server.Client.SendAsync(V2Wire.Request(Infer, header, blob));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await InferenceServer.JsonAsync(response);
        V2Schema.AssertValid("inference_response", json);
        Assert.Equal(await Texts(await PostAsync(Infer, TwoPrompts)), TextsOf(json));
    }

    [Theory]
    [InlineData(""", "binary_data_output": true""", "")]
    [InlineData("", """, "outputs": [{"name": "text_output", "parameters": {"binary_data": true}}]""")]
    public async Task A_binary_response_carries_the_same_texts(string parameters, string outputs)
    {
        var request = $$$"""
            {"id": "b", "parameters": {"max_new_tokens": 6, "seed": 11{{{parameters}}}}{{{outputs}}},
             "inputs": [{"name": "text_input", "datatype": "BYTES", "shape": [2], "parameters": {"binary_data_size": 29}}]}
            """;
        var response = await server.Client.SendAsync(V2Wire.Request(Infer, request, V2Wire.BytesTensor("Hello", "Once upon a time")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        var (json, binary) = await V2Wire.ReadAsync(response);
        var output = Assert.Single(json.GetProperty("outputs").EnumerateArray());
        Assert.False(output.TryGetProperty("data", out _));
        Assert.Equal(binary.Length, output.GetProperty("parameters").GetProperty("binary_data_size").GetInt32());
        Assert.Equal(2, output.GetProperty("shape")[0].GetInt32());
        Assert.Equal("b", json.GetProperty("id").GetString());
        Assert.Equal(await Texts(await PostAsync(Infer, TwoPrompts)), V2Wire.ReadBytesTensor(binary));
    }

    [SkippableFact]
    public async Task An_outputs_flag_overrides_the_request_flag()
    {
        const string body = """
            {"parameters": {"max_new_tokens": 2, "binary_data_output": true}, "outputs": [{"name": "text_output", "parameters": {"binary_data": false}}],
             "inputs": [{"name": "text_input", "datatype": "BYTES", "shape": [1], "data": ["Hello"]}]}
            """;
        var response = await PostAsync(Infer, body);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Headers.Contains(V2Wire.HeaderLength));
        V2Schema.AssertValid("inference_response", await InferenceServer.JsonAsync(response));
    }

    [SkippableTheory]
    [InlineData(Infer, "{not json", 400, "the body is not JSON")]
    [InlineData(Infer, "[1, 2]", 400, "Expected the inference request to be a JSON object.")]
    [InlineData(Infer, "{}", 400, "Missing \"inputs\"")]
    [InlineData(Infer, """{"inputs": "Hello"}""", 400, "Expected \"inputs\" to be a list.")]
    [InlineData(Infer, """{"inputs": []}""", 400, "Expected exactly one input (BYTES, the prompts); got 0.")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}, {"name": "b", "datatype": "BYTES", "shape": [1], "data": ["y"]}]}""", 400, "got 2")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "FP32", "shape": [1], "data": [1.5]}]}""", 400, "Input 'a' has datatype FP32; this model takes text prompts as BYTES.")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [3], "data": ["x", "y"]}]}""", 400, "Input 'a' has shape [3] (3 elements) but its data holds 2.")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [2, 2], "data": ["w", "x", "y", "z"]}]}""", 400, "expected [N] or [N, 1]")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [-1], "data": ["x"]}]}""", 400, "a list of non-negative integers")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [2], "data": ["x", 7]}]}""", 400, "element 1 of \"data\" is number, not a string")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": [[["x"]]]}]}""", 400, "not a string")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1]}]}""", 400, "'data' field is missing for input 'a'")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [0], "data": []}]}""", 400, "holds no prompts")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}], "extra": 1}""", 400, "Unknown field 'extra'")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"], "extra": 1}]}""", 400, "Unknown field 'extra' in the input")]
    [InlineData(Infer, """{"id": 5, "inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}]}""", 400, "Expected \"id\" to be a string.")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}], "outputs": [{"name": "logits"}]}""", 400, "Unknown output 'logits'; this model has one output, text_output.")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}], "parameters": {"nonsense": 1}}""", 400, "Unknown parameter 'nonsense'")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}], "parameters": {"binary_data_output": "yes"}}""", 400, "Parameter 'binary_data_output' must be true or false.")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}], "parameters": {"max_new_tokens": 100000}}""", 400, "maximum context length")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "parameters": {"binary_data_size": 5}}]}""", 400, "has no Inference-Header-Content-Length header")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}], "parameters": {"max_new_tokens": 2147483647}}""", 400, "you requested 2147483648 tokens")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}], "parameters": {"temperature": 1e400}}""", 400, "'temperature' must be a finite number")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}], "parameters": {"top_p": 2}}""", 400, "2 is out of range for 'top_p'")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}], "parameters": {"top_k": -5}}""", 400, "-5 is out of range for 'top_k'")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}], "parameters": {"repetition_penalty": -1}}""", 400, "-1 is out of range for 'repetition_penalty'")]
    [InlineData(Infer, """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}], "parameters": {"seed": 1e400}}""", 400, "'seed' must be an integer")]
    [InlineData("/v2/models/other/infer", """{"inputs": []}""", 404, "Model with name other does not exist.")]
    [InlineData("/v2/models/gptj/versions/1/infer", TwoPrompts, 501, "Model versioning not supported yet.")]
    public async Task Infer_errors_are_kserve_errors(string path, string body, int status, string message)
    {
        var response = await PostAsync(path, body);
        await AssertErrorAsync(response, status, message, "inference_error_response");
    }

    [SkippableTheory]
    [InlineData("40", 400, "Invalid Inference-Header-Content-Length '40'")]
    [InlineData("x", 400, "Invalid Inference-Header-Content-Length 'x'")]
    [InlineData("3", 400, "the JSON header is not valid JSON")]
    public async Task A_bad_binary_header_length_is_refused(string headerLength, int status, string message)
    {
        var response = await server.Client.SendAsync(V2Wire.Request(Infer, """{"inputs": []}""", [1, 2, 3], headerLength));
        await AssertErrorAsync(response, status, message, "inference_error_response");
    }

    [SkippableTheory]
    [InlineData(9, new byte[] { 5, 0, 0, 0, 72, 101, 108, 108, 111, 0 }, 1, "declares binary_data_size 9, but 10 bytes follow")]
    [InlineData(9, new byte[] { 9, 0, 0, 0, 72, 101, 108, 108, 111 }, 1, "element 0 declares 9 bytes but only 5 remain")]
    [InlineData(6, new byte[] { 5, 0, 0, 0, 72, 101 }, 1, "declares 5 bytes but only 2 remain")]
    [InlineData(2, new byte[] { 5, 0 }, 1, "ends inside an element's 4-byte length")]
    [InlineData(5, new byte[] { 1, 0, 0, 0, 0xFF }, 1, "element 0 is not valid UTF-8 text")]
    [InlineData(9, new byte[] { 5, 0, 0, 0, 72, 101, 108, 108, 111 }, 2, "has shape [2] (2 elements) but its data holds 1")]
    public async Task Bad_binary_data_is_refused(int declared, byte[] blob, int count, string message)
    {
        var body = $$$"""{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [{{{count}}}], "parameters": {"binary_data_size": {{{declared}}}}}]}""";
        var response = await server.Client.SendAsync(V2Wire.Request(Infer, body, blob));
        await AssertErrorAsync(response, 400, message, "inference_error_response");
    }

    [SkippableTheory]
    [InlineData("""{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["\ud800"]}]}""", "The string at 'inputs[0].data[0]' is not valid text")]
    [InlineData("""{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [2, 1], "data": [["ok"], ["\udc00\ud800"]]}]}""", "The string at 'inputs[0].data[1][0]'")]
    [InlineData("""{"inputs": [{"name": "\ud800", "datatype": "BYTES", "shape": [1], "data": ["x"]}]}""", "The string at 'inputs[0].name'")]
    [InlineData("""{"inputs": [{"name": "a", "datatype": "BYTES\udfff", "shape": [1], "data": ["x"]}]}""", "The string at 'inputs[0].datatype'")]
    [InlineData("""{"id": "\ud800", "inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}]}""", "The string at 'id'")]
    [InlineData("""{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}], "parameters": {"stop": "\ud800", "\ud800": 1}}""", "The string at 'parameters.stop'")]
    [InlineData("""{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}], "parameters": {"\ud800": 1}}""", "A field name in 'parameters'")]
    [InlineData("""{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}], "outputs": [{"name": "\ud800"}]}""", "The string at 'outputs[0].name'")]
    [InlineData("""{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["<FF>"]}]}""", "The string at 'inputs[0].data[0]' is not valid text")]
    [InlineData("""{"inputs": [{"name": "<FF>", "datatype": "BYTES", "shape": [1], "data": ["x"]}]}""", "The string at 'inputs[0].name'")]
    public async Task Text_that_is_not_unicode_is_a_400(string body, string message)
    {
        await AssertErrorAsync(await server.Client.PostAsync(Infer, InvalidText.Body(body)), 400, message, "inference_error_response");

        // The same JSON as the header of a binary request.
        var header = await InvalidText.Body(body).ReadAsByteArrayAsync();
        var binary = new ByteArrayContent(header);
        binary.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Post, Infer) { Content = binary };
        request.Headers.Add(V2Wire.HeaderLength, header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await AssertErrorAsync(await server.Client.SendAsync(request), 400, message, "inference_error_response");
    }

    [SkippableFact]
    public async Task A_huge_max_new_tokens_is_refused_alone_and_concurrent_requests_succeed()
    {
        static string Body(string prompt, int maxNewTokens) =>
            $$$"""{"parameters": {"max_new_tokens": {{{maxNewTokens}}}}, "inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["{{{prompt}}}"]}]}""";
        var good = Enumerable.Range(0, 4).Select(i => PostAsync(Infer, Body($"Prompt {i}", 8)));
        var responses = await Task.WhenAll([.. good, PostAsync(Infer, Body("a", int.MaxValue))]);
        Assert.All(responses[..^1], r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        await AssertErrorAsync(responses[^1], 400, "maximum context length", "inference_error_response");
    }

    [SkippableFact]
    public async Task Binary_data_without_a_binary_input_is_refused()
    {
        var body = """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["x"]}]}""";
        var response = await server.Client.SendAsync(V2Wire.Request(Infer, body, V2Wire.BytesTensor("y")));
        await AssertErrorAsync(response, 400, "5 bytes follow the JSON header, but no input has parameters.binary_data_size.", "inference_error_response");
    }

    [SkippableTheory]
    [InlineData("/v2/models/other", 404, "Model with name other does not exist.", "metadata_model_error_response")]
    [InlineData("/v2/models/other/ready", 404, "Model with name other does not exist.", "metadata_model_error_response")]
    [InlineData("/v2/models/gptj/versions/1", 501, "Model versioning not supported yet.", "metadata_model_error_response")]
    [InlineData("/v2/models/gptj/versions/1/ready", 501, "Model versioning not supported yet.", "metadata_model_error_response")]
    public async Task Metadata_errors_are_kserve_errors(string path, int status, string message, string schema)
    {
        await AssertErrorAsync(await server.Client.GetAsync(path), status, message, schema);
    }

    [SkippableFact]
    public async Task An_oversized_request_is_refused()
    {
        var huge = new string('a', 5 << 20);
        var body = $$"""{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["{{huge}}"]}]}""";

        // Expect: 100-continue holds the body back until the server asks for it: it answers 413 instead, and the
        // client reads that answer rather than failing on a connection closed mid-upload.
        using var request = new HttpRequestMessage(HttpMethod.Post, Infer) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;
        var response = await server.Client.SendAsync(request);
        await AssertErrorAsync(response, 413, "The request body is too large.", "inference_error_response");
    }

    [SkippableFact]
    public void The_schemas_reject_what_the_spec_rejects()
    {
        // The validator is not vacuous: the spec requires outputs in a response and inputs in a request.
        Assert.False(V2Schema.IsValid("inference_response", """{"model_name": "gptj"}"""));
        Assert.False(V2Schema.IsValid("inference_request", """{"id": "1"}"""));
        Assert.False(V2Schema.IsValid("inference_request", """{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": [{"x": 1}]}]}"""));
        Assert.False(V2Schema.IsValid("metadata_server_error_response", "{}"));
    }

    internal static async Task AssertErrorAsync(HttpResponseMessage response, int status, string message, string schema)
    {
        Assert.Equal(status, (int)response.StatusCode);
        var json = await InferenceServer.JsonAsync(response);
        Assert.Contains(message, json.GetProperty("error").GetString()!, StringComparison.Ordinal);
        V2Schema.AssertValid(schema, json); // last: without the spec files the test is skipped here
    }

    private Task<HttpResponseMessage> PostAsync(string path, string body) =>
        server.Client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

    private static async Task<List<string>> Texts(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return TextsOf(await InferenceServer.JsonAsync(response));
    }

    private static List<string> TextsOf(JsonElement json) =>
        [.. json.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetString()!)];
}
