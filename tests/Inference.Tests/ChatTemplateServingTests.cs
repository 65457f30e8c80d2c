using System.Text.Json;
using Models.TinyModel;
using Tensorizer.Configuration;
using static Inference.Tests.OpenAIClient;

namespace Inference.Tests;

/// <summary>A model folder's own chat template: parsed at load (a bad one fails the load), its refusals a 400.</summary>
public sealed class ChatTemplateServingTests
{
    [Fact]
    public async Task A_template_the_service_cannot_parse_fails_the_load_saying_where()
    {
        using var folder = await TinyFolderWithTemplateAsync("{% for m in messages %}{{ m.content | no_such_filter }}{% endfor %}");
        await using var server = await InferenceServer.StartAsync(new() { [SettingNames.ModelPath] = folder.Path, ["EXIT_ON_LOAD_FAILURE"] = "false" }, waitUntilReady: false);

        var status = await server.WaitForPhaseAsync("failed", "ready");

        Assert.Equal("failed", status.GetProperty("phase").GetString());
        Assert.Contains("no_such_filter", status.GetProperty("error").GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_template_renders_the_chat_and_its_raise_exception_is_a_400()
    {
        const string template = """
            {%- for m in messages %}{% if m.role == 'system' %}{{ raise_exception('System messages are not supported') }}{% endif %}
            {{- bos_token + '[' + m.role + '] ' + m.content + eos_token }}{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}
            """;
        using var folder = await TinyFolderWithTemplateAsync(template);
        await using var server = await InferenceServer.StartAsync(new() { [SettingNames.ModelPath] = folder.Path });

        var (status, json) = await PostAsync(server, "/openai/v1/chat/completions", """{"model": "gptj", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2}""");
        Assert.Equal(200, status);
        // "<|endoftext|>[user] Hi<|endoftext|>[assistant] ": the template's tokens, none added: 1 + 3 + 1 + 1 + 4 GPT-2 tokens.
        var prompt = Services(server).RenderChat([new("user", "Hi")]);
        Assert.Equal("<|endoftext|>[user] Hi<|endoftext|>[assistant] ", prompt.Text);
        Assert.Equal(Services(server).Encode(prompt.Text, addSpecialTokens: false, 100, CancellationToken.None).Count, json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());

        var (refused, error) = await PostAsync(server, "/openai/v1/chat/completions", """{"model": "gptj", "messages": [{"role": "system", "content": "Be terse"}, {"role": "user", "content": "Hi"}]}""");
        Assert.Equal(400, refused);
        Assert.Contains("System messages are not supported", error.GetProperty("error").GetProperty("message").GetString()!, StringComparison.Ordinal);
    }

    private static Serving.IServedModel Services(InferenceServer server) =>
        (Serving.IServedModel)server.Services.GetService(typeof(Serving.IServedModel))!;

    private static async Task<TempDirectory> TinyFolderWithTemplateAsync(string template)
    {
        var folder = new TempDirectory("chat-template-");
        await TinyGptj.WriteAsync(folder.Path);
        await File.WriteAllTextAsync(folder.File("tokenizer_config.json"), JsonSerializer.Serialize(new
        {
            bos_token = "<|endoftext|>",
            eos_token = "<|endoftext|>",
            chat_template = template,
        }));
        return folder;
    }
}
