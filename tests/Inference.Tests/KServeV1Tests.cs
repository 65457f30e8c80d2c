using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace Inference.Tests;

/// <summary>KServe V1 as the seed serves it, against the real service.</summary>
public class KServeV1Tests(InferenceServer server) : IClassFixture<InferenceServer>
{
    [Fact]
    public async Task The_seeds_request_gets_the_prompt_and_its_continuation()
    {
        var response = await server.Client.PostAsync("/v1/models/gptj:predict",
            new StringContent("""{"instances": ["Once upon a time, there was"]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await InferenceServer.JsonAsync(response);
        var prediction = Assert.Single(json.GetProperty("predictions").EnumerateArray()).GetString()!;
        Assert.StartsWith("Once upon a time, there was", prediction, StringComparison.Ordinal);
        Assert.True(prediction.Length > "Once upon a time, there was".Length);
    }

    [Fact]
    public async Task Parameters_control_generation_and_seeded_requests_repeat()
    {
        const string body = """{"instances": ["Hello", "Once upon a time"], "parameters": {"max_new_tokens": 5, "seed": 3, "return_full_text": false}}""";
        var first = await InferenceServer.JsonAsync(await server.Client.PostAsync("/v1/models/gptj:predict", new StringContent(body)));
        var second = await InferenceServer.JsonAsync(await server.Client.PostAsync("/v1/models/gptj:predict", new StringContent(body)));
        Assert.Equal(first.GetRawText(), second.GetRawText());
        Assert.Equal(2, first.GetProperty("predictions").GetArrayLength());
        Assert.DoesNotContain(first.GetProperty("predictions").EnumerateArray(), p => p.GetString()!.StartsWith("Hello", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Health_and_model_endpoints_answer_as_kserve()
    {
        Assert.Equal("alive", (await server.Client.GetFromJsonAsync<System.Text.Json.JsonElement>("/")).GetProperty("status").GetString());
        var model = await server.Client.GetFromJsonAsync<System.Text.Json.JsonElement>("/v1/models/gptj");
        Assert.True(model.GetProperty("ready").GetBoolean());
        var list = await server.Client.GetFromJsonAsync<System.Text.Json.JsonElement>("/v1/models");
        Assert.Equal("gptj", list.GetProperty("models")[0].GetString());
        Assert.Equal("gptj", list.GetProperty("data")[0].GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("/v1/models/gptj:predict", "{not json", 400, "Unrecognized request format")]
    [InlineData("/v1/models/gptj:predict", "[1, 2]", 400, "Expected payload to be a dict")]
    [InlineData("/v1/models/gptj:predict", """{"instances": "text"}""", 400, "Expected \"instances\" to be a list")]
    [InlineData("/v1/models/gptj:predict", """{"instances": [42]}""", 400, "not a string")]
    [InlineData("/v1/models/gptj:predict", """{"instances": ["a"], "extra": 1}""", 400, "Unknown field 'extra'")]
    [InlineData("/v1/models/gptj:predict", """{"instances": ["a"], "parameters": {"nonsense": 1}}""", 400, "Unknown parameter 'nonsense'")]
    [InlineData("/v1/models/gptj:predict", """{"instances": ["a"], "parameters": {"max_new_tokens": 100000}}""", 400, "maximum context length")]
    [InlineData("/v1/models/gptj:predict", """{"instances": ["a"], "parameters": {"max_new_tokens": 2147483647}}""", 400, "you requested 2147483648 tokens")]
    [InlineData("/v1/models/gptj:predict", """{"instances": ["a"], "parameters": {"max_new_tokens": -1}}""", 400, "'max_new_tokens' must be an integer between 0 and 2147483647")]
    [InlineData("/v1/models/gptj:predict", """{"instances": ["a"], "parameters": {"max_new_tokens": 1e400}}""", 400, "'max_new_tokens' must be an integer")]
    [InlineData("/v1/models/gptj:predict", """{"instances": ["a"], "parameters": {"temperature": 1e400}}""", 400, "'temperature' must be a finite number")]
    [InlineData("/v1/models/gptj:predict", """{"instances": ["a"], "parameters": {"temperature": -0.5}}""", 400, "-0.5 is out of range for 'temperature'")]
    [InlineData("/v1/models/gptj:predict", """{"instances": ["a"], "parameters": {"top_p": 0}}""", 400, "0 is out of range for 'top_p'")]
    [InlineData("/v1/models/gptj:predict", """{"instances": ["a"], "parameters": {"top_p": 1.5}}""", 400, "1.5 is out of range for 'top_p'")]
    [InlineData("/v1/models/gptj:predict", """{"instances": ["a"], "parameters": {"top_p": -1e400}}""", 400, "'top_p' must be a finite number")]
    [InlineData("/v1/models/gptj:predict", """{"instances": ["a"], "parameters": {"top_k": -2}}""", 400, "-2 is out of range for 'top_k'")]
    [InlineData("/v1/models/gptj:predict", """{"instances": ["a"], "parameters": {"top_k": 4294967296}}""", 400, "4294967296 is out of range for 'top_k'")]
    [InlineData("/v1/models/gptj:predict", """{"instances": ["a"], "parameters": {"repetition_penalty": 0}}""", 400, "0 is out of range for 'repetition_penalty'")]
    [InlineData("/v1/models/gptj:predict", """{"instances": ["a"], "parameters": {"repetition_penalty": 1e400}}""", 400, "'repetition_penalty' must be a finite number")]
    [InlineData("/v1/models/gptj:predict", """{"instances": ["a"], "parameters": {"seed": 1e400}}""", 400, "'seed' must be an integer")]
    [InlineData("/v1/models/gptj:predict", """{"instances": ["a"], "parameters": {"seed": 1.5}}""", 400, "'seed' must be an integer")]
    [InlineData("/v1/models/other:predict", """{"instances": ["a"]}""", 404, "Model with name other does not exist.")]
    public async Task Errors_are_kserve_errors(string path, string body, int status, string message)
    {
        var response = await server.Client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(status, (int)response.StatusCode);
        var json = await InferenceServer.JsonAsync(response);
        Assert.Contains(message, json.GetProperty("error").GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bounds_accept_vllms_off_values_and_64_bit_seeds()
    {
        const string body = """{"instances": ["a"], "parameters": {"max_new_tokens": 2, "top_k": -1, "seed": 9223372036854775807, "temperature": 0.7, "top_p": 1, "repetition_penalty": 1.2}}""";
        var response = await server.Client.PostAsync("/v1/models/gptj:predict", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("""{"instances": ["\ud800"]}""", "The string at 'instances[0]' is not valid text")]
    [InlineData("""{"instances": ["ok", "a\udc00\ud800b"]}""", "The string at 'instances[1]' is not valid text")]
    [InlineData("""{"inputs": ["\udfff"]}""", "The string at 'inputs[0]'")]
    [InlineData("""{"instances": ["a"], "parameters": {"stop": ["x", "\ud83d"]}}""", "The string at 'parameters.stop[1]'")]
    [InlineData("""{"instances": ["a"], "parameters": {"\ud800": 1}}""", "A field name in 'parameters' is not valid text")]
    [InlineData("""{"\udc00": ["a"]}""", "A field name of the request is not valid text")]
    [InlineData("""{"instances": ["<FF>"]}""", "The string at 'instances[0]' is not valid text")]
    [InlineData("""{"instances": ["a"], "parameters": {"<FF>": 1}}""", "A field name in 'parameters'")]
    public async Task Text_that_is_not_unicode_is_a_400(string body, string message)
    {
        var response = await server.Client.PostAsync("/v1/models/gptj:predict", InvalidText.Body(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, (await InferenceServer.JsonAsync(response)).GetProperty("error").GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_huge_max_new_tokens_is_refused_alone_and_concurrent_requests_succeed()
    {
        var good = Enumerable.Range(0, 4).Select(i => server.Client.PostAsync("/v1/models/gptj:predict",
            new StringContent($$$"""{"instances": ["Prompt {{{i}}}"], "parameters": {"max_new_tokens": 8}}""", Encoding.UTF8, "application/json")));
        var huge = server.Client.PostAsync("/v1/models/gptj:predict",
            new StringContent("""{"instances": ["a", "b"], "parameters": {"max_new_tokens": 2147483647}}""", Encoding.UTF8, "application/json"));
        var responses = await Task.WhenAll([.. good, huge]);
        Assert.All(responses[..^1], r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(HttpStatusCode.BadRequest, responses[^1].StatusCode);
    }

    [Fact]
    public async Task An_oversized_request_is_refused()
    {
        var huge = new string('a', 5 << 20);
        // Expect: 100-continue lets the server refuse before the body is sent, instead of resetting mid-upload.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/models/gptj:predict") { Content = new StringContent($$"""{"instances": ["{{huge}}"]}""") };
        request.Headers.ExpectContinue = true;
        var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Metrics_and_status_report_the_load()
    {
        var status = await server.Client.GetFromJsonAsync<System.Text.Json.JsonElement>("/status");
        Assert.Equal("ready", status.GetProperty("phase").GetString());
        Assert.Equal(status.GetProperty("totalBytes").GetInt64(), status.GetProperty("bytesRead").GetInt64());
        Assert.True(status.GetProperty("totalBytes").GetInt64() > 10_000_000);

        var metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Contains("inference_load_bytes", metrics, StringComparison.Ordinal);
    }
}
