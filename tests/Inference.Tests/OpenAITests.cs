using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using Inference.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using static Inference.Tests.OpenAIClient;

namespace Inference.Tests;

/// <summary>The OpenAI-compatible endpoints against the real service; every response is checked against OpenAI's spec.</summary>
public class OpenAITests(InferenceServer server) : IClassFixture<InferenceServer>
{
    private const string Completions = "/openai/v1/completions";
    private const string Chat = "/openai/v1/chat/completions";

    [SkippableTheory]
    [InlineData("/openai/v1")]
    [InlineData("/v1")]
    public async Task A_completion_has_openais_shape_and_max_tokens_ends_it_with_length(string prefix)
    {
        var (status, json) = await PostAsync(server, prefix + "/completions",
            """{"model": "gptj", "prompt": "Hello world", "max_tokens": 5, "temperature": 0, "ignore_eos": true}""");
        Assert.Equal(200, status);
        OpenAISchema.AssertValid("CreateCompletionResponse", json);
        Assert.Equal("text_completion", json.GetProperty("object").GetString());
        Assert.StartsWith("cmpl-", json.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("gptj", json.GetProperty("model").GetString());
        Assert.InRange(json.GetProperty("created").GetInt64(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 600, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var choice = Assert.Single(json.GetProperty("choices").EnumerateArray());
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.False(string.IsNullOrEmpty(choice.GetProperty("text").GetString()));
        AssertUsage(json, promptTokens: 2, completionTokens: 5); // GPT-2 BPE: "Hello", " world"
    }

    [SkippableFact]
    public async Task The_default_max_tokens_is_16()
    {
        var json = await CompleteAsync("""{"model": "gptj", "prompt": "Hello", "temperature": 0, "ignore_eos": true}""");
        AssertUsage(json, promptTokens: 1, completionTokens: 16);
    }

    [SkippableFact]
    public async Task An_array_of_prompts_gets_one_choice_each_as_if_sent_alone()
    {
        string[] prompts = ["Hello", "Once upon a time", "The quick brown fox"];
        var json = await CompleteAsync(
            $$"""{"model": "gptj", "prompt": {{JsonSerializer.Serialize(prompts)}}, "max_tokens": 4, "temperature": 0, "ignore_eos": true}""");
        var choices = json.GetProperty("choices").EnumerateArray().ToList();
        Assert.Equal([0, 1, 2], choices.Select(c => c.GetProperty("index").GetInt32()));
        for (var i = 0; i < prompts.Length; i++)
        {
            var alone = await CompleteAsync($$"""{"model": "gptj", "prompt": {{JsonSerializer.Serialize(prompts[i])}}, "max_tokens": 4, "temperature": 0, "ignore_eos": true}""");
            Assert.Equal(Text(alone), choices[i].GetProperty("text").GetString());
        }

        AssertUsage(json, promptTokens: 1 + 4 + 4, completionTokens: 12);
    }

    [SkippableFact]
    public async Task Token_id_prompts_are_accepted_and_echoed_as_text()
    {
        var ids = await CompleteAsync("""{"model": "gptj", "prompt": [15496, 995], "max_tokens": 3, "temperature": 0, "echo": true}""");
        var text = await CompleteAsync("""{"model": "gptj", "prompt": "Hello world", "max_tokens": 3, "temperature": 0, "echo": true}""");
        Assert.Equal(Text(text), Text(ids));
        var batch = await CompleteAsync("""{"model": "gptj", "prompt": [[15496, 995], [15496]], "max_tokens": 3, "temperature": 0}""");
        Assert.Equal(2, batch.GetProperty("choices").GetArrayLength());
    }

    [SkippableFact]
    public async Task Echo_puts_the_prompt_before_the_completion()
    {
        const string request = """{"model": "gptj", "prompt": "Once upon a time", "max_tokens": 6, "temperature": 0%s}""";
        var plain = Text(await CompleteAsync(request.Replace("%s", "", StringComparison.Ordinal)));
        var echoed = await CompleteAsync(request.Replace("%s", ", \"echo\": true", StringComparison.Ordinal));
        Assert.Equal("Once upon a time" + plain, Text(echoed));
        Assert.Equal(4, echoed.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [SkippableFact]
    public async Task A_stop_sequence_cuts_the_text_and_ends_it_with_stop()
    {
        var full = Text(await CompleteAsync("""{"model": "gptj", "prompt": "Once upon a time", "max_tokens": 12, "temperature": 0, "ignore_eos": true}"""));
        var stop = full.Substring(full.Length / 2, 2);
        var json = await CompleteAsync(
            $$"""{"model": "gptj", "prompt": "Once upon a time", "max_tokens": 12, "temperature": 0, "ignore_eos": true, "stop": ["zzzz", {{JsonSerializer.Serialize(stop)}}]}""");
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], Text(json));
        Assert.Equal("stop", json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.True(json.GetProperty("usage").GetProperty("completion_tokens").GetInt32() < 12);
    }

    [SkippableFact]
    public async Task A_seed_makes_sampling_reproducible()
    {
        const string request = """{"model": "gptj", "prompt": "Once upon a time", "max_tokens": 10, "temperature": 1.0, "top_p": 0.95, "top_k": 40, "seed": %s}""";
        var first = Text(await CompleteAsync(request.Replace("%s", "1234", StringComparison.Ordinal)));
        var again = Text(await CompleteAsync(request.Replace("%s", "1234", StringComparison.Ordinal)));
        Assert.Equal(first, again);
        var others = await Task.WhenAll(Enumerable.Range(1, 3).Select(seed => CompleteAsync(request.Replace("%s", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))));
        Assert.Contains(others, other => Text(other) != first);
    }

    [SkippableFact]
    public async Task Chat_renders_the_plain_template_and_answers_as_the_assistant()
    {
        var chat = await PostAsync(server, Chat, """
            {"model": "gptj", "max_tokens": 8, "temperature": 0, "messages": [
              {"role": "system", "content": "Be brief."},
              {"role": "user", "content": "Hello"},
              {"role": "assistant", "content": "Hi."},
              {"role": "user", "content": [{"type": "text", "text": "Tell me"}, {"type": "text", "text": "a story."}]}]}
            """);
        Assert.Equal(200, chat.Status);
        OpenAISchema.AssertValid("CreateChatCompletionResponse", chat.Body);
        Assert.Equal("chat.completion", chat.Body.GetProperty("object").GetString());
        Assert.StartsWith("chatcmpl-", chat.Body.GetProperty("id").GetString(), StringComparison.Ordinal);
        var choice = Assert.Single(chat.Body.GetProperty("choices").EnumerateArray());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());

        // The same prompt through completions, with the stop the chat adds: the same text, less leading whitespace.
        const string prompt = "System: Be brief.\nUser: Hello\nAssistant: Hi.\nUser: Tell me\na story.\nAssistant:";
        var completion = await CompleteAsync(
            $$"""{"model": "gptj", "prompt": {{JsonSerializer.Serialize(prompt)}}, "max_tokens": 8, "temperature": 0, "stop": "\nUser:"}""");
        Assert.Equal(Text(completion).TrimStart(), choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(completion.GetProperty("choices")[0].GetProperty("finish_reason").GetString(), choice.GetProperty("finish_reason").GetString());
        Assert.Equal(completion.GetProperty("usage").GetRawText(), chat.Body.GetProperty("usage").GetRawText());
    }

    [SkippableTheory]
    [InlineData("/openai/v1")]
    [InlineData("/v1")]
    public async Task A_streamed_completion_is_well_formed_and_equals_the_unstreamed_one(string prefix)
    {
        const string request = """{"model": "gptj", "prompt": "Once upon a time", "max_tokens": 12, "temperature": 0.9, "seed": 7, "echo": true%s}""";
        var whole = await CompleteAsync(request.Replace("%s", "", StringComparison.Ordinal));
        var events = await StreamAsync(server, prefix + "/completions",
            request.Replace("%s", ", \"stream\": true, \"stream_options\": {\"include_usage\": true}", StringComparison.Ordinal));

        foreach (var e in events)
        {
            OpenAISchema.AssertValid("CreateCompletionResponse", e); // not in Assert.All: it would turn a skip into a failure
        }

        Assert.All(events, e => Assert.Equal("text_completion", e.GetProperty("object").GetString()));
        Assert.Single(events.Select(e => e.GetProperty("id").GetString()).Distinct());
        var choices = events[..^1].Select(e => Assert.Single(e.GetProperty("choices").EnumerateArray())).ToList();
        Assert.Equal(Text(whole), string.Concat(choices.Select(c => c.GetProperty("text").GetString())));
        Assert.All(choices[..^1], c => Assert.Equal(JsonValueKind.Null, c.GetProperty("finish_reason").ValueKind));
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("finish_reason").GetString(), choices[^1].GetProperty("finish_reason").GetString());

        var usage = events[^1]; // with include_usage, the last event: no choices, the usage
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        Assert.Equal(whole.GetProperty("usage").GetRawText(), usage.GetProperty("usage").GetRawText());
    }

    [SkippableFact]
    public async Task A_streamed_chat_is_well_formed_and_equals_the_unstreamed_one()
    {
        const string request = """{"model": "gptj", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 10, "temperature": 0.8, "seed": 3%s}""";
        var whole = (await PostAsync(server, Chat, request.Replace("%s", "", StringComparison.Ordinal))).Body;
        var events = await StreamAsync(server, "/v1/chat/completions", request.Replace("%s", ", \"stream\": true", StringComparison.Ordinal));

        Assert.All(events, e => Assert.Equal("chat.completion.chunk", e.GetProperty("object").GetString()));
        var choices = events.Select(e => Assert.Single(e.GetProperty("choices").EnumerateArray())).ToList();
        Assert.Equal("assistant", choices[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.All(choices[1..], c => Assert.False(c.GetProperty("delta").TryGetProperty("role", out _)));
        var content = string.Concat(choices.Select(c => c.GetProperty("delta").TryGetProperty("content", out var text) ? text.GetString() : ""));
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), content);
        Assert.All(choices[..^1], c => Assert.Equal(JsonValueKind.Null, c.GetProperty("finish_reason").ValueKind));
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("finish_reason").GetString(), choices[^1].GetProperty("finish_reason").GetString());
        Assert.DoesNotContain(events, e => e.TryGetProperty("usage", out _)); // no include_usage

        // Last, so that without the spec files everything else has been checked when the test is skipped; a loop, not
        // Assert.All, which would turn the skip into a failure.
        foreach (var e in events)
        {
            OpenAISchema.AssertValid("CreateChatCompletionStreamResponse", e);
        }
    }

    [SkippableFact]
    public async Task A_stream_of_several_prompts_interleaves_choices_by_index()
    {
        var events = await StreamAsync(server, Completions,
            """{"model": "gptj", "prompt": ["Hello", "Goodbye"], "max_tokens": 5, "temperature": 0, "ignore_eos": true, "stream": true}""");
        var whole = await CompleteAsync("""{"model": "gptj", "prompt": ["Hello", "Goodbye"], "max_tokens": 5, "temperature": 0, "ignore_eos": true}""");
        var choices = events.Select(e => Assert.Single(e.GetProperty("choices").EnumerateArray())).ToList();
        for (var i = 0; i < 2; i++)
        {
            var mine = choices.Where(c => c.GetProperty("index").GetInt32() == i).ToList();
            Assert.Equal(whole.GetProperty("choices")[i].GetProperty("text").GetString(), string.Concat(mine.Select(c => c.GetProperty("text").GetString())));
            Assert.Equal("length", mine[^1].GetProperty("finish_reason").GetString());
        }
    }

    [SkippableFact]
    public async Task The_model_list_and_model_are_openais()
    {
        var list = await InferenceServer.JsonAsync(await server.Client.GetAsync("/openai/v1/models"));
        OpenAISchema.AssertValid("ListModelsResponse", list);
        Assert.Equal("gptj", Assert.Single(list.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
        Assert.False(list.TryGetProperty("models", out _));

        var model = await InferenceServer.JsonAsync(await server.Client.GetAsync("/openai/v1/models/gptj"));
        OpenAISchema.AssertValid("Model", model);
        Assert.Equal("model", model.GetProperty("object").GetString());

        var unknown = await server.Client.GetAsync("/openai/v1/models/other");
        Assert.Equal(404, (int)unknown.StatusCode);
        OpenAISchema.AssertValid("ErrorResponse", await InferenceServer.JsonAsync(unknown));

        // /v1/models stays KServe V1's list, which carries OpenAI's fields too.
        OpenAISchema.AssertValid("ListModelsResponse", await InferenceServer.JsonAsync(await server.Client.GetAsync("/v1/models")));
    }

    [SkippableTheory]
    [InlineData(Completions, """{"model": "davinci", "prompt": "a"}""", 404, "model", "model_not_found")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "n": 2}""", 400, "n", "unsupported_value")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a",""", 400, null, "invalid_json")]
    [InlineData(Completions, "", 400, null, "invalid_json")]
    [InlineData(Completions, """["a"]""", 400, null, "invalid_type")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "max_token": 5}""", 400, "max_token", "unknown_parameter")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "max_tokens": 600}""", 400, "prompt", "context_length_exceeded")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "temperature": 2.5}""", 400, "temperature", "invalid_value")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "temperature": "hot"}""", 400, "temperature", "invalid_type")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "top_p": 0}""", 400, "top_p", "invalid_value")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "max_tokens": -1}""", 400, "max_tokens", "invalid_value")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "max_tokens": 2147483647}""", 400, "prompt", "context_length_exceeded")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "max_tokens": 1e400}""", 400, "max_tokens", "invalid_type")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "temperature": 1e400}""", 400, "temperature", "invalid_value")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "temperature": -0.1}""", 400, "temperature", "invalid_value")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "top_p": 1.5}""", 400, "top_p", "invalid_value")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "top_p": -1e400}""", 400, "top_p", "invalid_value")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "top_k": -2}""", 400, "top_k", "invalid_value")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "top_k": 1e400}""", 400, "top_k", "invalid_type")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "repetition_penalty": 0}""", 400, "repetition_penalty", "invalid_value")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "repetition_penalty": 1e400}""", 400, "repetition_penalty", "invalid_value")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "seed": 1e400}""", 400, "seed", "invalid_type")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "presence_penalty": 1e400}""", 400, "presence_penalty", "unsupported_value")]
    [InlineData(Chat, """{"model": "gptj", "messages": [{"role": "user", "content": "a"}], "max_completion_tokens": 2147483647}""", 400, "messages", "context_length_exceeded")]
    [InlineData(Chat, """{"model": "gptj", "messages": [{"role": "user", "content": "a"}], "top_logprobs": 1e400}""", 400, "top_logprobs", "unsupported_value")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "presence_penalty": 0.5}""", 400, "presence_penalty", "unsupported_value")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "logprobs": 2}""", 400, "logprobs", "unsupported_value")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "best_of": 3}""", 400, "best_of", "unsupported_value")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "stream_options": {"include_usage": true}}""", 400, "stream_options", "invalid_value")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "stop": ["1", "2", "3", "4", "5"]}""", 400, "stop", "invalid_value")]
    [InlineData(Completions, """{"model": "gptj", "prompt": [99999999]}""", 400, "prompt", "invalid_value")]
    [InlineData(Completions, """{"model": "gptj"}""", 400, "prompt", "missing_required_parameter")]
    [InlineData(Chat, """{"model": "gptj", "messages": []}""", 400, "messages", "invalid_type")]
    [InlineData(Chat, """{"model": "gptj", "messages": [{"role": "tool", "content": "x", "tool_call_id": "1"}]}""", 400, "messages[0].tool_call_id", "unknown_parameter")]
    [InlineData(Chat, """{"model": "gptj", "messages": [{"role": "tool", "content": "x"}]}""", 400, "messages[0].role", "unsupported_value")]
    [InlineData(Chat, """{"model": "gptj", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}""", 400, "messages[0].content[0]", "unsupported_value")]
    [InlineData(Chat, """{"model": "gptj", "messages": [{"role": "user"}]}""", 400, "messages[0].content", "missing_required_parameter")]
    [InlineData(Chat, """{"model": "gptj", "messages": [{"role": "user", "content": "a"}], "max_tokens": 512}""", 400, "messages", "context_length_exceeded")]
    [InlineData(Chat, """{"model": "gptj", "messages": [{"role": "user", "content": "a"}], "tools": [{"type": "function"}]}""", 400, "tools", "unsupported_value")]
    [InlineData(Chat, """{"model": "gptj", "messages": [{"role": "user", "content": "a"}], "response_format": {"type": "json_object"}}""", 400, "response_format", "unsupported_value")]
    [InlineData("/v1/chat/completions", """{"model": "other", "messages": [{"role": "user", "content": "a"}]}""", 404, "model", "model_not_found")]
    public async Task Errors_are_openai_errors(string path, string body, int status, string? param, string code)
    {
        var (actual, json) = await PostAsync(server, path, body);
        Assert.Equal(status, actual);
        OpenAISchema.AssertValid("ErrorResponse", json);
        var error = json.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(status == 404 || status == 400 ? "invalid_request_error" : "server_error", error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
    }

    [SkippableTheory]
    [InlineData(Completions, """{"model": "gptj", "prompt": "\ud800"}""", "prompt")]
    [InlineData(Completions, """{"model": "gptj", "prompt": ["ok", "\udc00\ud800"]}""", "prompt[1]")]
    [InlineData(Completions, """{"model": "\ud800", "prompt": "a"}""", "model")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "stop": ["\udbff"]}""", "stop[0]")]
    [InlineData(Completions, """{"model": "gptj", "prompt": "a", "\ud800": 1}""", null)]
    [InlineData(Completions, """{"model": "gptj", "prompt": "<FF>"}""", "prompt")]
    [InlineData(Chat, """{"model": "gptj", "messages": [{"role": "user", "content": "\ud800"}]}""", "messages[0].content")]
    [InlineData(Chat, """{"model": "gptj", "messages": [{"role": "\ud800", "content": "a"}]}""", "messages[0].role")]
    [InlineData(Chat, """{"model": "gptj", "messages": [{"role": "user", "content": [{"type": "text", "text": "\udc00"}]}]}""", "messages[0].content[0].text")]
    [InlineData(Chat, """{"model": "gptj", "messages": [{"role": "user", "content": "<FF>"}]}""", "messages[0].content")]
    [InlineData(Chat, """{"model": "gptj", "messages": [{"role": "user", "<FF>": "a"}]}""", "messages[0]")]
    public async Task Text_that_is_not_unicode_is_a_400(string path, string body, string? param)
    {
        using var response = await server.Client.PostAsync(path, InvalidText.Body(body));
        Assert.Equal(400, (int)response.StatusCode);
        var json = await InferenceServer.JsonAsync(response);
        OpenAISchema.AssertValid("ErrorResponse", json);
        var error = json.GetProperty("error");
        Assert.Equal(("invalid_value", "invalid_request_error"), (error.GetProperty("code").GetString(), error.GetProperty("type").GetString()));
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains("is not valid text", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_huge_max_tokens_is_refused_alone_and_concurrent_requests_succeed()
    {
        var good = Enumerable.Range(0, 4).Select(i => PostAsync(server, Completions, $$$"""{"model": "gptj", "prompt": "Prompt {{{i}}}", "max_tokens": 8}"""));
        var huge = PostAsync(server, Chat, """{"model": "gptj", "messages": [{"role": "user", "content": "a"}], "max_tokens": 2147483647}""");
        var responses = await Task.WhenAll([.. good, huge]);
        Assert.All(responses[..^1], r => Assert.Equal(200, r.Status));
        Assert.Equal((400, "context_length_exceeded"), (responses[^1].Status, responses[^1].Body.GetProperty("error").GetProperty("code").GetString()));
    }

    [SkippableFact]
    public async Task Bounds_accept_vllms_off_values_and_64_bit_seeds()
    {
        var json = await CompleteAsync("""{"model": "gptj", "prompt": "a", "max_tokens": 2, "top_k": -1, "seed": -9223372036854775808, "temperature": 2, "top_p": 1, "repetition_penalty": 1e-3}""");
        Assert.Single(json.GetProperty("choices").EnumerateArray());
    }

    [Fact]
    public async Task Context_overflow_says_how_many_tokens_were_asked_for()
    {
        var (status, json) = await PostAsync(server, Completions, """{"model": "gptj", "prompt": "Hello world", "max_tokens": 511}""");
        Assert.Equal(400, status);
        Assert.Equal(
            "This model's maximum context length is 512 tokens. However, you requested 513 tokens (2 in the prompt, 511 in the completion). Please reduce the length of the prompt or completion.",
            json.GetProperty("error").GetProperty("message").GetString());
    }

    [SkippableFact]
    public async Task A_model_that_is_not_loaded_answers_503()
    {
        await using var failed = await InferenceServer.StartAsync(new() { ["MODEL_PATH"] = "/nonexistent/model" }, waitUntilReady: false);
        var (status, json) = await PostAsync(failed, "/v1/completions", """{"model": "gptj", "prompt": "a"}""");
        Assert.Equal(503, status);
        OpenAISchema.AssertValid("ErrorResponse", json);
        Assert.Equal("model_not_ready", json.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("server_error", json.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Leaving_a_stream_cancels_its_generation()
    {
        // Counted, not timed: the tokens the service generates for a 500-token stream that its client leaves.
        using var generated = new GeneratedTokens(server.Services.GetRequiredService<IMeterFactory>());
        const string request = """{"model": "gptj", "prompt": "Once upon a time", "max_tokens": 500, "temperature": 0, "ignore_eos": true, "stream": true}""";
        using (var leave = new CancellationTokenSource())
        {
            using var response = await OpenStreamAsync(server, Completions, request, leave.Token);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(leave.Token), Encoding.UTF8);
            for (var events = 0; events < 3;)
            {
                var line = await reader.ReadLineAsync(leave.Token);
                Assert.NotNull(line);
                events += line.StartsWith("data: {", StringComparison.Ordinal) ? 1 : 0;
            }

            // Cancelled mid-read, the client closes the connection (after a read, disposing would first drain it for 2 s).
            var rest = reader.ReadToEndAsync(leave.Token);
            await leave.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => rest);
        }

        // One batch runs at a time and the stream's was running: this request is answered after it has ended, and the
        // counter has every token the stream's generation made.
        var next = await PostAsync(server, Completions, """{"model": "gptj", "prompt": "Hello", "max_tokens": 2, "temperature": 0, "ignore_eos": true}""");
        Assert.Equal(200, next.Status);
        Assert.Equal(2, next.Body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        var left = generated.Count - 2;
        Assert.True(left is >= 3 and < 500, $"The left stream generated {left} of its 500 tokens.");
    }

    private static string Text(JsonElement completion) => completion.GetProperty("choices")[0].GetProperty("text").GetString()!;

    private static void AssertUsage(JsonElement response, int promptTokens, int completionTokens)
    {
        var usage = response.GetProperty("usage");
        Assert.Equal(promptTokens, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(completionTokens, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(promptTokens + completionTokens, usage.GetProperty("total_tokens").GetInt32());
    }

    /// <summary>The tokens this server records generating (its <c>inference.tokens.generated</c> counter), counted as recorded.</summary>
    private sealed class GeneratedTokens : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _count;

        public GeneratedTokens(IMeterFactory meters)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Meter.Name == InferenceMetrics.Name && instrument.Name == "inference.tokens.generated")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _count, value));
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }

    private async Task<JsonElement> CompleteAsync(string body)
    {
        var (status, json) = await PostAsync(server, Completions, body);
        Assert.True(status == 200, $"{status}: {json}");
        OpenAISchema.AssertValid("CreateCompletionResponse", json);
        return json;
    }
}
