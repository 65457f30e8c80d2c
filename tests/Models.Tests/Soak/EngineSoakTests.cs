using System.Diagnostics;
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
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(10);

    [Fact]
    public void Generations_survive_continuous_garbage_collection()
    {
        var greedy = new GenerationOptions { MaxNewTokens = 24, StopAtEndOfText = false };
        var expected = tiny.Generator.Generate(["The quick brown fox"], greedy)[0].Tokens;
        var runs = Soak(() => Assert.Equal(expected, tiny.Generator.Generate(["The quick brown fox"], greedy)[0].Tokens));
        Assert.True(runs > 10, $"only {runs} generations ran");
    }

    [Fact]
    public void Batched_and_sampled_generations_survive_continuous_garbage_collection()
    {
        string[] prompts = ["Once upon a time, there was", "Hello", "The quick brown fox jumps over the lazy", "A"];
        var sampled = GenerationOptions.SeedDefaults with { MaxNewTokens = 16, StopAtEndOfText = false, Seed = 3 };
        var expected = tiny.Generator.Generate(prompts, sampled).Select(r => r.Tokens).ToList();
        var runs = Soak(() => Assert.Equal(expected, tiny.Generator.Generate(prompts, sampled).Select(r => r.Tokens)));
        Assert.True(runs > 5, $"only {runs} batches ran");
    }

    private static int Soak(Action generate)
    {
        using var pressure = new GarbageCollectionPressure();
        var runs = 0;
        for (var clock = Stopwatch.StartNew(); clock.Elapsed < Budget; runs++)
        {
            generate();
        }

        return runs;
    }
}
