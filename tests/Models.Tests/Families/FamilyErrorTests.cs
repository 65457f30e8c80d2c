using System.Text.Json;
using System.Text.Json.Nodes;
using Models.Architectures;
using TestSupport.Families;
using static TorchSharp.torch;

namespace Models.Tests.Families;

/// <summary>What the loader refuses, and that every refusal names what it refuses.</summary>
public class FamilyErrorTests
{
    [Fact]
    public async Task A_missing_tensor_is_named()
    {
        using var root = new TempDirectory();
        var family = TinyFamilies.Get("llama");
        var weights = family.RandomWeights(seed: 1);
        weights.Remove("model.layers.1.mlp.down_proj.weight");
        var folder = await TinyFamilyFixture.WriteAndConvertAsync(root.Path, family, weights);

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ModelFolder.LoadAsync(folder));
        Assert.Contains("model.layers.1.mlp.down_proj.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains("lacks 1", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("qwen3", "model.layers.2.self_attn.q_proj.weight")] // a layer more than config.json says
    [InlineData("qwen2", "model.layers.0.self_attn.o_proj.bias")] // Qwen2 has no o_proj bias
    [InlineData("pythia", "gpt_neox.layers.0.attention.rotary.weight")]
    public async Task An_extra_tensor_is_named(string name, string extra)
    {
        using var root = new TempDirectory();
        var family = TinyFamilies.Get(name);
        var weights = family.RandomWeights(seed: 2);
        weights[extra] = new float[16];
        var folder = await TinyFamilyFixture.WriteAndConvertAsync(root.Path, family, weights);

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ModelFolder.LoadAsync(folder));
        Assert.Contains(extra, e.Message, StringComparison.Ordinal);
        Assert.Contains(family.ModelType, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tied_model_ignores_a_stored_head_as_Hugging_Face_does()
    {
        using var root = new TempDirectory();
        var family = TinyFamilies.Get("qwen2");
        var weights = family.RandomWeights(seed: 3);
        weights["lm_head.weight"] = new float[family.VocabSize * family.HiddenSize]; // all zero: used, it would zero every logit
        var folder = await TinyFamilyFixture.WriteAndConvertAsync(root.Path, family, weights);

        using var generator = await ModelFolder.LoadAsync(folder);
        var prompt = TinyFamilies.Prompt(6);
        var expected = new ReferenceTransformer(family, weights).Forward(prompt)[^1];
        var actual = FamilyForwardTests.Logits(generator.Model, prompt)[^1];
        Assert.True(expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second)) < 2e-3);
    }

    [Theory]
    [InlineData("llama", """{"rope_scaling": {"rope_type": "yarn", "factor": 4.0}}""", "yarn")]
    [InlineData("llama", """{"rope_scaling": {"type": "su", "factor": 4.0}}""", "'su'")]
    [InlineData("gpt_neox", """{"rope_scaling": {"type": "longrope", "factor": 4.0}}""", "longrope")]
    [InlineData("llama", """{"hidden_act": "gelu"}""", "hidden_act 'gelu'")]
    [InlineData("qwen3", """{"hidden_act": "relu"}""", "hidden_act 'relu'")]
    [InlineData("gpt_neox", """{"hidden_act": "relu"}""", "hidden_act 'relu'")]
    [InlineData("qwen2", """{"use_sliding_window": true}""", "use_sliding_window")]
    [InlineData("qwen3", """{"use_sliding_window": true}""", "use_sliding_window")]
    [InlineData("qwen2", """{"layer_types": ["full_attention", "sliding_attention"]}""", "layer_types")]
    [InlineData("mistral", """{"attention_bias": true}""", "attention_bias")]
    [InlineData("llama", """{"quantization_config": {"quant_method": "gptq"}}""", "quantization_config (gptq)")]
    [InlineData("llama", """{"partial_rotary_factor": 0.5}""", "partial_rotary_factor")]
    public void Unsupported_config_values_are_refused_by_name(string name, string overrides, string named)
    {
        var e = Assert.Throws<NotSupportedException>(() => Create(name, overrides));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("llama", """{"num_key_value_heads": 3}""", "num_key_value_heads 3")]
    [InlineData("llama", """{"rope_scaling": {"rope_type": "llama3", "factor": 8.0}}""", "low_freq_factor")]
    [InlineData("llama", """{"rope_scaling": {"rope_type": "linear"}}""", "factor")]
    [InlineData("llama", """{"num_attention_heads": "four"}""", "num_attention_heads")]
    [InlineData("gpt_neox", """{"rotary_pct": 0.1}""", "rotary_pct")]
    [InlineData("mistral", """{"sliding_window": 0}""", "sliding_window")]
    public void Inconsistent_configs_are_refused_by_name(string name, string overrides, string named)
    {
        var e = Assert.Throws<InvalidDataException>(() => Create(name, overrides));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"rope_scaling": null}""")]
    [InlineData("""{"rope_scaling": {"rope_type": "default"}}""")]
    [InlineData("""{"attention_dropout": 0.1, "pretraining_tp": 2}""")] // neither changes inference
    public void Harmless_config_values_are_accepted(string overrides)
    {
        using var model = Create("llama", overrides);
        Assert.Equal("llama", model.Config.ModelType);
    }

    [Fact]
    public void The_registry_serves_every_family_and_names_them_for_others()
    {
        Assert.Equal(["gpt_neox", "gptj", "llama", "mistral", "qwen2", "qwen3"], ModelRegistry.ModelTypes.Order(StringComparer.Ordinal));
        using var mamba = JsonDocument.Parse("""{"model_type": "mamba"}""");
        var e = Assert.Throws<NotSupportedException>(() => ModelRegistry.For(mamba.RootElement));
        Assert.Contains("'mamba'", e.Message, StringComparison.Ordinal);
        Assert.Contains("qwen3", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Builds the family's tiny model (on meta: no memory, no file) from its config.json with <paramref name="overrides"/> merged in.</summary>
    private static ICausalLanguageModel Create(string modelType, string overrides)
    {
        var family = TinyFamilies.All.First(f => f.ModelType == modelType);
        var config = family.ConfigJson();
        foreach (var (key, value) in JsonNode.Parse(overrides)!.AsObject())
        {
            config[key] = value?.DeepClone();
        }

        using var json = JsonDocument.Parse(config.ToJsonString());
        return ModelRegistry.For(json.RootElement).Create(json.RootElement, ScalarType.Float32, META);
    }
}
