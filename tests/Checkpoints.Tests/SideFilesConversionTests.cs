using Checkpoints.Builtin;
using Checkpoints.Conversion;
using Models;
using Models.Tokenization.HuggingFace;

namespace Checkpoints.Tests;

/// <summary>A checkpoint's tokenizer, generation and chat-template files reach the converted folder, and the model loads with them.</summary>
public sealed class SideFilesConversionTests : IDisposable
{
    private readonly TempDirectory _root = new("checkpoints-side-files-");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Tokenizer_generation_and_chat_template_files_are_copied_and_used()
    {
        var checkpoint = _root.File("checkpoint");
        await TinyCheckpoint.WriteShardedSafetensorsAsync(_root.File("original"), checkpoint);
        Gpt2TokenizerFiles.WriteTokenizerJson(checkpoint);
        File.WriteAllText(Path.Combine(checkpoint, "tokenizer_config.json"), """{"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"}""");
        File.WriteAllText(Path.Combine(checkpoint, "special_tokens_map.json"), """{"unk_token": "<|endoftext|>"}""");
        File.WriteAllText(Path.Combine(checkpoint, "generation_config.json"), """{"eos_token_id": [50256, 13], "temperature": 0.8}""");
        File.WriteAllText(Path.Combine(checkpoint, "chat_template.jinja"), "{% for m in messages %}{{ m.content }}{% endfor %}");
        File.WriteAllText(Path.Combine(checkpoint, "README.md"), "not part of a model");

        var output = _root.File("converted");
        await ModelConverter.ConvertAsync(new ConversionRequest { Source = checkpoint, Output = output, Dtype = "float32" });
        var files = Directory.GetFiles(output).Select(Path.GetFileName).ToList();
        Assert.Subset(files.ToHashSet(), new HashSet<string?> { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json", "chat_template.jinja" });
        Assert.DoesNotContain("README.md", files);

        using var generator = await ModelFolder.LoadAsync(output);
        var tokenizer = Assert.IsType<HuggingFaceTokenizer>(generator.Tokenizer);
        Assert.Equal(50256, tokenizer.SpecialTokens.EndOfText?.Id);
        Assert.Equal(50256, tokenizer.SpecialTokens.Unknown?.Id);
        Assert.Equal(new HashSet<int> { 50256, 13 }, generator.StopTokenIds);
        Assert.Equal(0.8, generator.Defaults.Temperature);
    }
}
