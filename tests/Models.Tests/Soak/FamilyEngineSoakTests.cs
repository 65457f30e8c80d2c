using Models.Generation;
using Models.Tests.Families;

namespace Models.Tests.Soak;

/// <summary>
/// The engine soak of <see cref="EngineSoakTests"/> on the newer families' blocks (RMSNorm, grouped-query attention,
/// rotate-half rotary, SwiGLU; GPT-NeoX's fused attention and parallel residual): batched greedy generations while
/// the garbage collector runs finalizers continuously must repeat exactly.
/// </summary>
public class FamilyEngineSoakTests
{
    [Theory]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    [InlineData("pythia")]
    public async Task Batched_generations_survive_continuous_garbage_collection(string name)
    {
        using var root = new TempDirectory();
        var family = TinyFamilies.Get(name);
        var folder = await TinyFamilyFixture.WriteAndConvertAsync(root.Path, family, family.RandomWeights(seed: 5));
        using var generator = await ModelFolder.LoadAsync(folder);
        IReadOnlyList<int>[] prompts = [TinyFamilies.Prompt(9), TinyFamilies.Prompt(3, seed: 1), TinyFamilies.Prompt(14, seed: 2)];
        var options = prompts.Select(_ => GenerationOptions.ExamplePredictorDefaults with { MaxNewTokens = 12, StopAtEndOfText = false, Seed = 3 }).ToArray();
        var expected = generator.Generate(prompts, options, onToken: null).Select(r => r.Tokens).ToList();
        using var pressure = new GarbageCollectionPressure();
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(expected, generator.Generate(prompts, options, onToken: null).Select(r => r.Tokens));
        }
    }
}
