using AdminConsole.Services.Conversions;
using AdminConsole.Services.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdminConsole.Tests.Services;

/// <summary>Conversions in-process into a folder store, and what the store then lists.</summary>
public sealed class LocalConversionTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("console-store-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Converts_the_tiny_model_lists_it_and_skips_an_identical_conversion_unless_forced()
    {
        var store = new FolderModelStore(_root);
        await using var runner = new LocalConversionRunner(store, TimeProvider.System, NullLogger<LocalConversionRunner>.Instance);
        var spec = new ConversionSpec(SourceKind.Builtin, "", null, "float32", "tiny");

        var first = await RunAsync(runner, spec);
        var again = await RunAsync(runner, spec);
        var forced = await RunAsync(runner, spec with { Force = true });

        Assert.Equal(ConversionState.Completed, first.State);
        Assert.Equal(Path.Combine(_root, "tiny"), first.Output);
        Assert.StartsWith("25 tensors", first.Detail, StringComparison.Ordinal);
        Assert.StartsWith("Already complete", again.Detail, StringComparison.Ordinal);
        Assert.StartsWith("25 tensors", forced.Detail, StringComparison.Ordinal);
        var model = Assert.Single(await store.ListAsync(CancellationToken.None));
        Assert.Equal(("tiny", true, 25, "builtin://tiny-gptj", "tiny-gptj-1"), (model.Name, model.Complete, model.Tensors, model.Source, model.Revision));
        Assert.Equal(["float32"], model.Dtypes);
        Assert.InRange(model.Bytes, 1, new FileInfo(Path.Combine(_root, "tiny", "model.tensors")).Length); // tensor data, without headers
    }

    [Fact]
    public async Task A_missing_source_fails_with_its_reason()
    {
        await using var runner = new LocalConversionRunner(new FolderModelStore(_root), TimeProvider.System, NullLogger<LocalConversionRunner>.Instance);

        var failed = await RunAsync(runner, new ConversionSpec(SourceKind.Folder, Path.Combine(_root, "nowhere"), null, "float16", "x"));

        Assert.Equal(ConversionState.Failed, failed.State);
        Assert.Contains("nowhere", failed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_store_marks_incomplete_and_unreadable_models_and_skips_hidden_folders()
    {
        var store = new FolderModelStore(_root);
        await using (var runner = new LocalConversionRunner(store, TimeProvider.System, NullLogger<LocalConversionRunner>.Instance))
        {
            await RunAsync(runner, new ConversionSpec(SourceKind.Builtin, "", null, "float16", "whole"));
        }

        Directory.CreateDirectory(Path.Combine(_root, "half"));
        File.Copy(Path.Combine(_root, "whole", "model.tensors"), Path.Combine(_root, "half", "model.tensors"));
        Directory.CreateDirectory(Path.Combine(_root, "junk"));
        await File.WriteAllTextAsync(Path.Combine(_root, "junk", "model.tensors"), "not a tensors file");
        Directory.CreateDirectory(Path.Combine(_root, ".staging"));
        File.Copy(Path.Combine(_root, "whole", "model.tensors"), Path.Combine(_root, ".staging", "model.tensors"));

        var models = await store.ListAsync(CancellationToken.None);

        Assert.Equal(["half", "junk", "whole"], models.Select(m => m.Name));
        Assert.Equal((false, 25, null), (models[0].Complete, models[0].Tensors, models[0].Error));
        Assert.StartsWith("model.tensors is unreadable", models[1].Error, StringComparison.Ordinal);
        Assert.True(models[2].Complete);
    }

    private static async Task<ConversionSnapshot> RunAsync(LocalConversionRunner runner, ConversionSpec spec)
    {
        var started = await runner.StartAsync(spec, CancellationToken.None);
        for (var deadline = DateTime.UtcNow.AddMinutes(1); DateTime.UtcNow < deadline; await Task.Delay(50))
        {
            if (runner.Conversions.Single(c => c.Id == started.Id) is { IsFinished: true } finished)
            {
                return finished;
            }
        }

        throw new TimeoutException($"{spec.SourceUri} did not finish within a minute.");
    }
}
