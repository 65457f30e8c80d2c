using System.Collections.Concurrent;
using System.Text.Json;
using Checkpoints.Builtin;
using Inference.Serving;
using Microsoft.Extensions.DependencyInjection;
using Models.Generation;
using Models.Gptj;
using Models.TinyModel;
using Tensorizer.Configuration;
using static Inference.Tests.OpenAIClient;

namespace Inference.Tests;

/// <summary>
/// Model folders with a Hugging Face <c>tokenizer.json</c> served end to end: GPT-2's on the tiny GPT-J (always), the
/// real Llama 3.1 tokenizer on a random GPT-J with its 128,256-token vocabulary (with the npm test data); prompts
/// count Hugging Face's tokens exactly. And generation_config.json's settings as every protocol's defaults.
/// </summary>
public sealed class TokenizerJsonServingTests
{
    [Fact]
    public async Task A_gpt2_tokenizer_json_serves_as_the_vocab_files_did()
    {
        using var folder = new TempDirectory("tiny-tokenizer-json-");
        await TinyGptj.WriteAsync(folder.Path);
        File.Delete(folder.File(Gpt2TokenizerFiles.VocabFile));
        File.Delete(folder.File(Gpt2TokenizerFiles.MergesFile));
        Gpt2TokenizerFiles.WriteTokenizerJson(folder.Path);
        await using var server = await InferenceServer.StartAsync(new() { [SettingNames.ModelPath] = folder.Path });

        var model = server.Services.GetRequiredService<IServedModel>();
        Assert.Equal([7454, 2402, 257, 640, 11, 612, 373], model.Encode("Once upon a time, there was", addSpecialTokens: true, 100, CancellationToken.None));
        var (status, json) = await PostAsync(server, "/openai/v1/completions", """{"model": "gptj", "prompt": "Once upon a time, there was", "max_tokens": 3, "temperature": 0}""");
        Assert.Equal(200, status);
        Assert.Equal(7, json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [SkippableFact]
    public async Task The_llama_3_1_tokenizer_counts_hugging_faces_tokens()
    {
        var tokenizer = TestData.TokenizerFolder(TestData.Llama31);
        using var folder = new TempDirectory("llama3-tokenizer-model-");
        // A GPT-J of Llama 3's vocabulary: the tokenizer path is what is tested, any architecture will do.
        await RandomGptj.WriteAsync(folder.Path, new GptjConfig { VocabSize = 128256, NLayer = 1, NEmbd = 32, NHead = 4, RotaryDim = 8, NPositions = 1024, EosTokenId = 128001 });
        File.Delete(folder.File(Gpt2TokenizerFiles.VocabFile));
        File.Delete(folder.File(Gpt2TokenizerFiles.MergesFile));
        foreach (var file in Directory.GetFiles(tokenizer))
        {
            File.Copy(file, folder.File(Path.GetFileName(file)));
        }

        File.WriteAllText(folder.File(GenerationDefaults.FileName), """{"eos_token_id": [128001, 128008, 128009], "temperature": 0.6, "top_p": 0.9}""");
        await using var server = await InferenceServer.StartAsync(new() { [SettingNames.ModelPath] = folder.Path });
        var model = server.Services.GetRequiredService<IServedModel>();

        foreach (var c in ReferenceCases("llama3_1").Where(c => c.Ids.Length <= 200))
        {
            Assert.Equal(c.Ids, model.Encode(c.Text, addSpecialTokens: true, 1024, CancellationToken.None));
            var (status, json) = await PostAsync(server, "/openai/v1/completions", JsonSerializer.Serialize(new { model = "gptj", prompt = c.Text, max_tokens = 1, temperature = 0 }));
            Assert.Equal(200, status);
            Assert.Equal(c.Ids.Length, json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        }

        // The model's own chat template (tokenizer_config.json's) writes the beginning-of-text token itself, once.
        var chat = model.RenderChat([new ChatTurn("user", "Hi!")]);
        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", chat.Text);
        Assert.False(chat.AddSpecialTokens);
        var (chatStatus, chatJson) = await PostAsync(server, "/openai/v1/chat/completions", """{"model": "gptj", "messages": [{"role": "user", "content": "Hi!"}], "max_tokens": 2}""");
        Assert.Equal(200, chatStatus);
        var expected = model.Encode(chat.Text, addSpecialTokens: false, 1024, CancellationToken.None);
        Assert.Equal(128000, expected[0]);
        Assert.NotEqual(128000, expected[1]);
        Assert.Equal(expected.Count, chatJson.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(new HashSet<int> { 128001, 128008, 128009 }, server.Services.GetRequiredService<Hosting.ModelHost>().Generator.StopTokenIds);
    }

    [Fact]
    public async Task Generation_config_supplies_the_defaults_a_request_leaves_out()
    {
        using var folder = new TempDirectory("tiny-generation-config-");
        await TinyGptj.WriteAsync(folder.Path);
        File.WriteAllText(folder.File(GenerationDefaults.FileName), """{"temperature": 0.5, "top_p": 0.7, "top_k": 7, "repetition_penalty": 1.3, "max_new_tokens": 3}""");
        var submitted = new ConcurrentQueue<GenerationOptions>();
        await using var server = await InferenceServer.StartAsync(
            new() { [SettingNames.ModelPath] = folder.Path },
            configure: builder => builder.Services.AddSingleton<IServedModel>(services => new Recording(services.GetRequiredService<ServedModel>(), submitted)));

        async Task<GenerationOptions> Options(string path, string body)
        {
            submitted.Clear();
            var (status, _) = await PostAsync(server, path, body);
            Assert.Equal(200, status);
            return Assert.Single(submitted);
        }

        var defaults = new GenerationOptions { DoSample = true, Temperature = 0.5, TopP = 0.7, TopK = 7, RepetitionPenalty = 1.3, MaxNewTokens = 3 };
        var completion = await Options("/openai/v1/completions", """{"model": "gptj", "prompt": "Hello"}""");
        Assert.Equal(defaults, completion with { StopSequences = defaults.StopSequences });
        var chat = await Options("/openai/v1/chat/completions", """{"model": "gptj", "messages": [{"role": "user", "content": "Hello"}]}""");
        Assert.Equal(defaults, chat with { StopSequences = defaults.StopSequences });
        var given = await Options(
            "/openai/v1/completions", """{"model": "gptj", "prompt": "Hello", "temperature": 0, "top_p": 1, "top_k": 0, "repetition_penalty": 1, "max_tokens": 5}""");
        Assert.Equal(new GenerationOptions { MaxNewTokens = 5 }, given with { StopSequences = [] });

        var seed = GenerationOptions.ExamplePredictorDefaults with { Temperature = 0.5, TopP = 0.7, TopK = 7, RepetitionPenalty = 1.3, MaxNewTokens = 3 };
        Assert.Equal(seed, await Options("/v1/models/gptj:predict", """{"instances": ["Hello"]}"""));
        Assert.Equal(seed with { Temperature = 1, MaxNewTokens = 2 }, await Options("/v1/models/gptj:predict", """{"instances": ["Hello"], "parameters": {"temperature": 1.0, "max_new_tokens": 2}}"""));
        Assert.Equal(seed, await Options("/v2/models/gptj/infer", """{"inputs": [{"name": "text_input", "shape": [1], "datatype": "BYTES", "data": ["Hello"]}]}"""));
    }

    private static IEnumerable<(string Text, int[] Ids)> ReferenceCases(string tokenizer)
    {
        var path = Path.Combine(TestData.RepositoryRoot, "tests", "Models.Tests", "Tokenization", "reference", "hf-tokenizers.json");
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        return [.. document.RootElement.GetProperty("tokenizers").GetProperty(tokenizer).GetProperty("cases").EnumerateArray()
            .Select(c => (c.GetProperty("text").GetString()!, c.GetProperty("ids").EnumerateArray().Select(id => id.GetInt32()).ToArray()))];
    }

    /// <summary>The real served model, recording the options of every submitted prompt.</summary>
    private sealed class Recording(IServedModel model, ConcurrentQueue<GenerationOptions> submitted) : IServedModel
    {
        public string Name => model.Name;

        public bool IsReady => model.IsReady;

        public ModelInfo Info => model.Info;

        public IReadOnlyList<int> Encode(string text, bool addSpecialTokens, int maxTokens, CancellationToken cancellationToken) =>
            model.Encode(text, addSpecialTokens, maxTokens, cancellationToken);

        public string Decode(IReadOnlyList<int> tokens, bool skipSpecialTokens = false) => model.Decode(tokens, skipSpecialTokens);

        public ChatPrompt RenderChat(IReadOnlyList<ChatTurn> turns) => model.RenderChat(turns);

        public GenerationRequest Submit(IReadOnlyList<int> prompt, GenerationOptions options, CancellationToken cancellationToken)
        {
            submitted.Enqueue(options);
            return model.Submit(prompt, options, cancellationToken);
        }
    }
}
