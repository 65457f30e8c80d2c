using Models.Generation;
using Models.Tests.Gptj;

namespace Models.Tests.Soak;

/// <summary>
/// Many short generations while the garbage collector runs finalizers continuously. TorchSharp frees a tensor's or a
/// scalar's native object in its finalizer; one freed while libtorch still reads it corrupts the forward pass
/// ("Unknown scalar type", "Expected false to be true" from toFloat) or kills the process (SIGSEGV), which is how the
/// service died under ordinary traffic. Before the fix, each of these failed within seconds.
/// </summary>
public class EngineSoakTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public void Generations_survive_continuous_garbage_collection()
    {
        var greedy = new GenerationOptions { MaxNewTokens = 24, StopAtEndOfText = false };
        var expected = tiny.Generator.Generate(["The quick brown fox"], greedy)[0].Tokens;
        using var pressure = new GarbageCollectionPressure();
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(expected, tiny.Generator.Generate(["The quick brown fox"], greedy)[0].Tokens);
        }
    }

    [Fact]
    public void Batched_and_sampled_generations_survive_continuous_garbage_collection()
    {
        string[] prompts = ["Once upon a time, there was", "Hello", "The quick brown fox jumps over the lazy", "A"];
        var sampled = GenerationOptions.ExamplePredictorDefaults with { MaxNewTokens = 16, StopAtEndOfText = false, Seed = 3 };
        var expected = tiny.Generator.Generate(prompts, sampled).Select(r => r.Tokens).ToList();
        using var pressure = new GarbageCollectionPressure();
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(expected, tiny.Generator.Generate(prompts, sampled).Select(r => r.Tokens));
        }
    }
}
