using Checkpoints.Conversion;
using Checkpoints.Outputs;
using Models;
using Models.Generation;
using Models.TinyModel;

namespace Checkpoints.Tests;

/// <summary><c>builtin://tiny-gptj</c> converts like any checkpoint, and a second run is skipped.</summary>
public sealed class BuiltinSourceTests : IDisposable
{
    private readonly TempDirectory _root = new("checkpoints-builtin-");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task The_builtin_tiny_model_converts_reports_progress_and_is_then_skipped()
    {
        var output = _root.File("gptj");
        var events = new List<ConversionProgress>();
        var request = new ConversionRequest { Source = "builtin://tiny-gptj", Output = output, Dtype = "float32" };
        var result = await ModelConverter.ConvertAsync(request, new SynchronousProgress<ConversionProgress>(events.Add));

        Assert.False(result.Skipped);
        Assert.Equal(
            [CompletionMarker.FileName, "config.json", "merges.txt", "model.tensors", "vocab.json"],
            Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(
            [ConversionPhase.Resolving, ConversionPhase.Downloading, ConversionPhase.Converting, ConversionPhase.Publishing, ConversionPhase.Completed],
            events.Select(e => e.Phase).Distinct());
        Assert.Equal(result.Bytes, events.Last(e => e.Phase == ConversionPhase.Converting).BytesDone);
        Assert.False(Directory.Exists(Path.Combine(output, ".download")));

        var greedy = new GenerationOptions { MaxNewTokens = 6, StopAtEndOfText = false };
        var original = _root.File("original");
        await TinyGptj.WriteAsync(original);
        using var expected = await ModelFolder.LoadAsync(original);
        using var converted = await ModelFolder.LoadAsync(output);
        Assert.Equal(expected.Generate(["Once upon a time"], greedy)[0].Tokens, converted.Generate(["Once upon a time"], greedy)[0].Tokens);

        var again = await ModelConverter.ConvertAsync(request);
        Assert.True(again.Skipped);
        Assert.Equal(result.Tensors, again.Tensors);
        Assert.False((await ModelConverter.ConvertAsync(request with { Force = true })).Skipped);
    }
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    private readonly Lock _gate = new();

    public void Report(T value)
    {
        lock (_gate)
        {
            report(value);
        }
    }
}
