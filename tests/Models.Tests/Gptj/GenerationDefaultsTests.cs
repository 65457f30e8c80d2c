using Models.Generation;

namespace Models.Tests.Gptj;

/// <summary>generation_config.json: its end-of-text ids stop generation; its sampling settings are the defaults requests get.</summary>
public sealed class GenerationDefaultsTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public void Reads_end_of_text_ids_and_sampling_settings()
    {
        using var folder = new TempDirectory("generation-config-");
        File.WriteAllText(folder.File(GenerationDefaults.FileName), """
            {"bos_token_id": 128000, "do_sample": true, "eos_token_id": [128001, 128008, 128009], "temperature": 0.6, "top_p": 0.9,
             "top_k": 20, "repetition_penalty": 1.05, "max_new_tokens": 256, "max_length": 4096, "transformers_version": "4.45.0"}
            """);
        var defaults = GenerationDefaults.Read(folder.Path);
        Assert.Equal([128001, 128008, 128009], defaults.EndOfTextIds);
        Assert.Equal((0.6, 0.9, 20, 1.05, 256, true), (defaults.Temperature, defaults.TopP, defaults.TopK, defaults.RepetitionPenalty, defaults.MaxNewTokens, defaults.DoSample));

        var applied = defaults.ApplyTo(GenerationOptions.ExamplePredictorDefaults);
        Assert.Equal(GenerationOptions.ExamplePredictorDefaults with { Temperature = 0.6, TopP = 0.9, TopK = 20, RepetitionPenalty = 1.05, MaxNewTokens = 256 }, applied);
    }

    [Fact]
    public void Without_the_file_config_json_names_the_end_of_text_and_nothing_else_changes()
    {
        using var folder = new TempDirectory("generation-config-");
        Assert.Same(GenerationDefaults.None, GenerationDefaults.Read(folder.Path));
        File.WriteAllText(folder.File("config.json"), """{"model_type": "llama", "eos_token_id": [128001, 128009]}""");
        var defaults = GenerationDefaults.Read(folder.Path);
        Assert.Equal([128001, 128009], defaults.EndOfTextIds);
        Assert.Equal(GenerationOptions.ExamplePredictorDefaults, defaults.ApplyTo(GenerationOptions.ExamplePredictorDefaults));

        File.WriteAllText(folder.File(GenerationDefaults.FileName), """{"eos_token_id": 2, "temperature": null}""");
        Assert.Equal([2], GenerationDefaults.Read(folder.Path).EndOfTextIds);
        Assert.Null(GenerationDefaults.Read(folder.Path).Temperature);
    }

    [Theory]
    [InlineData("""{"top_p": 0}""", "\"top_p\"")]
    [InlineData("""{"temperature": -1}""", "\"temperature\"")]
    [InlineData("""{"top_k": 2.5}""", "\"top_k\"")]
    [InlineData("""{"eos_token_id": "</s>"}""", "\"eos_token_id\"")]
    [InlineData("""{"eos_token_id": [1, -2]}""", "\"eos_token_id\"")]
    [InlineData("""{"temperature": """, "not valid JSON")]
    public void An_invalid_setting_is_refused_naming_the_file_and_the_setting(string json, string named)
    {
        using var folder = new TempDirectory("generation-config-");
        File.WriteAllText(folder.File(GenerationDefaults.FileName), json);
        var e = Assert.Throws<InvalidDataException>(() => GenerationDefaults.Read(folder.Path));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
        Assert.Contains(GenerationDefaults.FileName, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sequence_stops_at_any_of_its_end_of_text_ids()
    {
        var config = tiny.Generator.Model.Config;
        var options = new GenerationOptions { MaxNewTokens = 10 };
        var logits = new float[config.VocabularySize];
        var sequence = new SequenceState([15496], options, tiny.Generator.Tokenizer, config, new HashSet<int> { 50256, 13 });
        logits[995] = 1; // " world"
        sequence.Append(logits, 0, null);
        Assert.False(sequence.Done);
        logits[13] = 2; // "."
        sequence.Append(logits, 0, null);
        Assert.True(sequence.Done);
        Assert.Equal((FinishReason.Stop, " world"), (sequence.Result().FinishReason, sequence.Result().Text));

        var ignoring = new SequenceState([15496], options with { StopAtEndOfText = false }, tiny.Generator.Tokenizer, config, new HashSet<int> { 13 });
        ignoring.Append(logits, 0, null);
        Assert.False(ignoring.Done);
    }

    [Fact]
    public async Task A_folders_generation_config_end_of_text_ids_stop_its_generation()
    {
        var greedy = new GenerationOptions { MaxNewTokens = 4, StopAtEndOfText = false };
        var free = tiny.Generator.Generate(["Hello"], greedy)[0].Tokens;
        var stopAt = free[1];

        using var folder = new TempDirectory("tiny-generation-config-");
        foreach (var file in Directory.GetFiles(tiny.Folder))
        {
            File.Copy(file, folder.File(Path.GetFileName(file)));
        }

        File.WriteAllText(folder.File(GenerationDefaults.FileName), $$"""{"eos_token_id": [7, {{stopAt}}], "temperature": 0.7}""");
        using var generator = await ModelFolder.LoadAsync(folder.Path);
        Assert.Equal(new HashSet<int> { 50256, 7, stopAt }, generator.StopTokenIds);
        Assert.Equal(0.7, generator.Defaults.Temperature);

        var stopped = generator.Generate(["Hello"], greedy with { StopAtEndOfText = true })[0];
        Assert.Equal(FinishReason.Stop, stopped.FinishReason);
        Assert.Equal(free.Take(free.ToList().IndexOf(stopAt) + 1), stopped.Tokens);
        Assert.Equal(free, generator.Generate(["Hello"], greedy)[0].Tokens);
    }
}
