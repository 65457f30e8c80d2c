using System.Text.Json;
using Models.Architectures;
using Models.Gptj;
using static TorchSharp.torch;

namespace Models.Tests.Gptj;

public class DtypeAndRegistryTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    private static readonly long[] Prompt = [7454, 2402, 257, 640, 11, 612, 373];

    [Theory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public async Task Half_precision_models_load_and_agree_with_float32(ScalarType dtype)
    {
        using var half = await ModelFolder.LoadAsync(tiny.Folder, new ModelLoadOptions { Dtype = dtype });
        Assert.All(((GptjForCausalLM)half.Model).parameters(), p => Assert.Equal(dtype, p.dtype));

        using var reference = Logits((GptjForCausalLM)tiny.Generator.Model);
        using var logits = Logits((GptjForCausalLM)half.Model);
        using var similarity = nn.functional.cosine_similarity(reference, logits, dim: -1);
        Assert.True(similarity.min().item<float>() > 0.99f, $"cosine similarity {similarity.min().item<float>()}");
    }

    [Fact]
    public void The_registry_finds_gptj_and_names_what_it_supports_otherwise()
    {
        using var gptj = JsonDocument.Parse("""{"model_type": "gptj"}""");
        Assert.IsType<GptjArchitecture>(ModelRegistry.For(gptj.RootElement));

        using var mamba = JsonDocument.Parse("""{"model_type": "mamba"}""");
        var e = Assert.Throws<NotSupportedException>(() => ModelRegistry.For(mamba.RootElement));
        Assert.Contains("gptj", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Old_attention_mask_buffers_are_ignored_when_loading()
    {
        var gptj = new GptjArchitecture();
        Assert.True(gptj.IsIgnoredTensor("transformer.h.0.attn.bias"));
        Assert.True(gptj.IsIgnoredTensor("transformer.h.27.attn.masked_bias"));
        Assert.False(gptj.IsIgnoredTensor("transformer.h.0.mlp.fc_in.bias"));
    }

    private static Tensor Logits(GptjForCausalLM model)
    {
        using var scope = NewDisposeScope();
        using var cache = model.CreateCache(1, Prompt.Length);
        var logits = model.Forward(tensor(Prompt).unsqueeze(0), arange(Prompt.Length, ScalarType.Int64).unsqueeze(0), ones(1, Prompt.Length, ScalarType.Int64), cache);
        return logits.MoveToOuterDisposeScope();
    }
}
