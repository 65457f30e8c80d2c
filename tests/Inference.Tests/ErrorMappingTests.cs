using System.Collections.Concurrent;
using Inference.Serving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Models.Generation;
using static Inference.Tests.OpenAIClient;

namespace Inference.Tests;

/// <summary>
/// One error mapping per protocol family, on every route of the family: invalid input is a 400, and an
/// <see cref="ArgumentException"/> from a bug is a 500, never a 400, each in the family's own error shape. The bug is
/// planted behind the real handlers: the served model they see throws while tokenizing a prompt that names it.
/// </summary>
public sealed class ErrorMappingTests : IAsyncLifetime
{
    private const string Bug = "trigger the planted bug";

    private readonly ConcurrentQueue<LogEntry> _logs = new();
    private InferenceServer _server = null!;

    public static TheoryData<string, string> KServeRequests => new()
    {
        { "/v1/models/gptj:predict", """{"instances": ["PROMPT"], "parameters": PARAMETERS}""" },
        { "/v2/models/gptj/infer", """{"inputs": [{"name": "text_input", "shape": [1], "datatype": "BYTES", "data": ["PROMPT"]}], "parameters": PARAMETERS}""" },
    };

    public static TheoryData<string, string> OpenAIRequests => new()
    {
        { "/v1/completions", """{"model": "gptj", "prompt": "PROMPT", "max_tokens": 2, "temperature": TEMPERATURE}""" },
        { "/openai/v1/completions", """{"model": "gptj", "prompt": "PROMPT", "max_tokens": 2, "temperature": TEMPERATURE, "stream": true}""" },
        { "/openai/v1/chat/completions", """{"model": "gptj", "messages": [{"role": "user", "content": "PROMPT"}], "max_tokens": 2, "temperature": TEMPERATURE}""" },
    };

    public async Task InitializeAsync() => _server = await InferenceServer.StartAsync([], configure: builder =>
    {
        builder.Logging.AddProvider(new LogSink(_logs));
        builder.Services.AddSingleton<IServedModel>(services => new BuggyModel(services.GetRequiredService<ServedModel>()));
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [SkippableTheory]
    [MemberData(nameof(KServeRequests))]
    public async Task KServe_answers_a_bugs_argument_exception_with_a_500(string path, string body)
    {
        var (status, json) = await PostAsync(_server, path, body.Replace("PROMPT", Bug, StringComparison.Ordinal).Replace("PARAMETERS", "{}", StringComparison.Ordinal));
        Assert.Equal(500, status);
        V2Schema.AssertValid("inference_error_response", json);
        Assert.StartsWith("Internal server error (request id ", json.GetProperty("error").GetString(), StringComparison.Ordinal);
        AssertBugLogged();
    }

    [SkippableTheory]
    [MemberData(nameof(KServeRequests))]
    public async Task KServe_answers_invalid_input_with_a_400(string path, string body)
    {
        var (status, json) = await PostAsync(_server, path, body.Replace("PROMPT", "Hello", StringComparison.Ordinal).Replace("PARAMETERS", """{"top_p": 2}""", StringComparison.Ordinal));
        Assert.Equal(400, status);
        V2Schema.AssertValid("inference_error_response", json);
        Assert.Contains("top_p", json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(OpenAIRequests))]
    public async Task OpenAI_answers_a_bugs_argument_exception_with_a_500(string path, string body)
    {
        var (status, json) = await PostAsync(_server, path, body.Replace("PROMPT", Bug, StringComparison.Ordinal).Replace("TEMPERATURE", "0", StringComparison.Ordinal));
        Assert.Equal(500, status); // before the stream starts: the status is still the error's
        OpenAISchema.AssertValid("ErrorResponse", json);
        var error = json.GetProperty("error");
        Assert.Equal(("server_error", "internal_error"), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
        AssertBugLogged();
    }

    [SkippableTheory]
    [MemberData(nameof(OpenAIRequests))]
    public async Task OpenAI_answers_invalid_input_with_a_400(string path, string body)
    {
        var (status, json) = await PostAsync(_server, path, body.Replace("PROMPT", "Hello", StringComparison.Ordinal).Replace("TEMPERATURE", "5", StringComparison.Ordinal));
        Assert.Equal(400, status);
        OpenAISchema.AssertValid("ErrorResponse", json);
        var error = json.GetProperty("error");
        Assert.Equal(("invalid_request_error", "temperature"), (error.GetProperty("type").GetString(), error.GetProperty("param").GetString()));
    }

    private void AssertBugLogged() => Assert.Contains(_logs, entry => entry.Level == LogLevel.Error && entry.Exception is ArgumentException { Message: BuggyModel.Message });

    /// <summary>The real served model, except that tokenizing the planted prompt fails as a bug would.</summary>
    private sealed class BuggyModel(IServedModel model) : IServedModel
    {
        public const string Message = "A bug's argument check failed.";

        public string Name => model.Name;

        public bool IsReady => model.IsReady;

        public ModelInfo Info => model.Info;

        public IReadOnlyList<int> Encode(string text, bool addSpecialTokens, int maxTokens, CancellationToken cancellationToken) =>
            text.Contains(Bug, StringComparison.Ordinal) ? throw new ArgumentException(Message) : model.Encode(text, addSpecialTokens, maxTokens, cancellationToken);

        public string Decode(IReadOnlyList<int> tokens, bool skipSpecialTokens = false) => model.Decode(tokens, skipSpecialTokens);

        public ChatPrompt RenderChat(IReadOnlyList<ChatTurn> turns) => model.RenderChat(turns);

        public GenerationRequest Submit(IReadOnlyList<int> prompt, GenerationOptions options, CancellationToken cancellationToken) =>
            model.Submit(prompt, options, cancellationToken);
    }
}
