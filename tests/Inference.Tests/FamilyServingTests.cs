using System.Text.Json;
using System.Text.Json.Nodes;
using Checkpoints.Builtin;
using Checkpoints.Conversion;
using Inference.Serving;
using Microsoft.Extensions.DependencyInjection;
using Tensorizer.Configuration;
using TestSupport.Families;
using static Inference.Tests.OpenAIClient;

namespace Inference.Tests;

/// <summary>
/// Each family end to end, as an operator runs it: a tiny random Hugging Face safetensors checkpoint with a real
/// tokenizer's vocabulary (Llama 3.1's on llama, Qwen3's on qwen3, Llama 2's SentencePiece on mistral and on
/// gpt_neox) converted by the project's converter, served, and asked for greedy completions on OpenAI completions and
/// chat, KServe V1 and V2: every protocol counts the tokenizer's prompt ids and answers the reference transformer's
/// greedy tokens from the same weights.
/// </summary>
public sealed class FamilyServingTests
{
    private const string Prompt = "Once upon a time, there was";
    private const int MaxTokens = 4;

    /// <summary>Mistral 7B Instruct v0.1's chat template (its tokenizer is Llama 2's, which has none of its own).</summary>
    private const string MistralChatTemplate =
        "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
        + "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}";

    public static TheoryData<string> Families => ["llama", "qwen3", "mistral", "gpt_neox"];

    [SkippableTheory]
    [MemberData(nameof(Families))]
    public async Task A_family_converts_serves_and_answers_the_references_greedy_tokens_on_every_protocol(string name)
    {
        var (family, package, chatTemplate) = Case(name);
        var tokenizer = TestData.TokenizerFolder(package);
        using var root = new TempDirectory("family-serving-" + name + "-");
        var weights = family.RandomWeights(seed: 1717);
        var checkpoint = Path.Combine(root.Path, "checkpoint");
        family.WriteCheckpoint(checkpoint, weights);
        File.Delete(Path.Combine(checkpoint, Gpt2TokenizerFiles.VocabFile));
        File.Delete(Path.Combine(checkpoint, Gpt2TokenizerFiles.MergesFile));
        File.Copy(Path.Combine(tokenizer, "tokenizer.json"), Path.Combine(checkpoint, "tokenizer.json"));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(tokenizer, "tokenizer_config.json")))!.AsObject();
        if (chatTemplate is not null)
        {
            config["chat_template"] = chatTemplate;
        }

        File.WriteAllText(Path.Combine(checkpoint, "tokenizer_config.json"), config.ToJsonString());
        var folder = Path.Combine(root.Path, "model");
        await ModelConverter.ConvertAsync(new ConversionRequest { Source = checkpoint, Output = folder, Dtype = "keep" });

        // A step budget of 3 tokens: every prompt is prefilled in chunks (beside the decodes of the mixed batch below).
        await using var server = await InferenceServer.StartAsync(new() { [SettingNames.ModelPath] = folder, [SettingNames.MaxBatchedTokens] = "3" });
        var model = server.Services.GetRequiredService<IServedModel>();
        var stops = server.Services.GetRequiredService<Hosting.ModelHost>().Generator.StopTokenIds;
        var reference = new ReferenceTransformer(family, weights);

        // What the reference generates from these prompt ids, up to (not including) a stop token, as the service decodes it.
        string Expected(IReadOnlyList<int> prompt)
        {
            var generated = reference.GreedyGenerate(prompt, MaxTokens).TakeWhile(id => !stops.Contains(id)).ToList();
            var prefix = model.Decode(prompt, skipSpecialTokens: true);
            var whole = model.Decode([.. prompt, .. generated], skipSpecialTokens: true);
            Assert.StartsWith(prefix, whole, StringComparison.Ordinal);
            return whole[prefix.Length..];
        }

        var promptIds = model.Encode(Prompt, addSpecialTokens: true, 1024, CancellationToken.None);
        Assert.True(promptIds.Count > 3);
        Assert.All(promptIds, id => Assert.InRange(id, 0, family.VocabSize - 1));
        var expected = Expected(promptIds);
        Assert.NotEqual("", expected);

        var (status, json) = await PostAsync(
            server, "/openai/v1/completions", JsonSerializer.Serialize(new { model = model.Name, prompt = Prompt, max_tokens = MaxTokens, temperature = 0 }));
        Assert.Equal(200, status);
        Assert.Equal(promptIds.Count, json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(expected, json.GetProperty("choices")[0].GetProperty("text").GetString());

        var parameters = new { max_new_tokens = MaxTokens, do_sample = false, repetition_penalty = 1.0, return_full_text = false };
        (status, json) = await PostAsync(server, $"/v1/models/{model.Name}:predict", JsonSerializer.Serialize(new { instances = new[] { Prompt }, parameters }));
        Assert.Equal(200, status);
        Assert.Equal(expected, Assert.Single(json.GetProperty("predictions").EnumerateArray()).GetString());

        var inputs = new[] { new { name = "text_input", datatype = "BYTES", shape = new[] { 1 }, data = new[] { Prompt } } };
        (status, json) = await PostAsync(server, $"/v2/models/{model.Name}/infer", JsonSerializer.Serialize(new { inputs, parameters }));
        Assert.Equal(200, status);
        Assert.Equal(expected, Assert.Single(Assert.Single(json.GetProperty("outputs").EnumerateArray()).GetProperty("data").EnumerateArray()).GetString());

        var chat = model.RenderChat([new ChatTurn("user", "Hi!")]);
        var chatIds = model.Encode(chat.Text, chat.AddSpecialTokens, 1024, CancellationToken.None);
        (status, json) = await PostAsync(
            server,
            "/openai/v1/chat/completions",
            JsonSerializer.Serialize(new { model = model.Name, messages = new[] { new { role = "user", content = "Hi!" } }, max_tokens = MaxTokens, temperature = 0 }));
        Assert.Equal(200, status);
        Assert.Equal(chatIds.Count, json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        // The service starts an assistant's reply at its first non-space character.
        Assert.Equal(Expected(chatIds).TrimStart(), json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());

        // In a mixed batch: while another request streams a long completion, the same prompts, joining it between
        // its steps, still get the reference's greedy tokens (three instances of one KServe request run side by side).
        using var longOne = new CancellationTokenSource();
        var longest = model.Info.ContextLength - chatIds.Count;
        var running = model.Submit(chatIds, new Models.Generation.GenerationOptions { MaxNewTokens = longest, StopAtEndOfText = false }, longOne.Token);
        await running.Tokens.Reader.ReadAsync();
        (status, json) = await PostAsync(
            server, "/openai/v1/completions", JsonSerializer.Serialize(new { model = model.Name, prompt = Prompt, max_tokens = MaxTokens, temperature = 0 }));
        Assert.Equal(200, status);
        Assert.Equal(expected, json.GetProperty("choices")[0].GetProperty("text").GetString());
        (status, json) = await PostAsync(server, $"/v1/models/{model.Name}:predict", JsonSerializer.Serialize(new { instances = new[] { Prompt, Prompt, Prompt }, parameters }));
        Assert.Equal(200, status);
        Assert.All(json.GetProperty("predictions").EnumerateArray(), p => Assert.Equal(expected, p.GetString()));
        await longOne.CancelAsync();
        var result = await running.Completion.Task;
        Assert.True(result.FinishReason == Models.Generation.FinishReason.Cancelled, $"the long completion ended ({result.Tokens.Count} of {longest} tokens) before the others ran beside it");
    }

    private static (TinyFamily Family, string Tokenizer, string? ChatTemplate) Case(string name) => name switch
    {
        // Llama 3.1: its rope scaling, theta and tied embeddings, its three end-of-text ids; the model's own template.
        "llama" => (
            new TinyFamily
            {
                Name = name,
                ModelType = "llama",
                VocabSize = 128256,
                RopeTheta = 500000,
                TieWordEmbeddings = true,
                EosTokenIds = [128001, 128008, 128009],
                RopeScaling = new RopeScalingSpec("llama3", 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 64),
            },
            TestData.Llama31,
            null),

        // Qwen3: per-head q/k norms, head_dim 32; the model's own template.
        "qwen3" => (
            new TinyFamily { Name = name, ModelType = "qwen3", VocabSize = 151936, ExplicitHeadDim = 32, TieWordEmbeddings = true, EosTokenIds = [151645, 151643] },
            TestData.Qwen3,
            null),

        // Mistral 7B v0.1's vocabulary is Llama 2's; a sliding window shorter than the chat prompt.
        "mistral" => (
            new TinyFamily { Name = name, ModelType = "mistral", VocabSize = 32000, SlidingWindow = 6, EosTokenIds = [2] },
            TestData.Llama2,
            MistralChatTemplate),

        // GPT-NeoX on the cheapest real vocabulary at hand, with no chat template: the plain renderer.
        "gpt_neox" => (
            new TinyFamily { Name = name, ModelType = "gpt_neox", VocabSize = 32000, NormEps = 1e-5, EosTokenIds = [2] },
            TestData.Llama2,
            null),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };
}
