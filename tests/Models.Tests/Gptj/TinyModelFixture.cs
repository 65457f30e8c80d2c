using Models.Generation;
using Models.Tests.Reference;
using Models.TinyModel;
using Tensorizer.Reading;
using Tensorizer.Torch;

namespace Models.Tests.Gptj;

/// <summary>The embedded tiny GPT-J written once to a temp folder, loaded in float32, plus its weights for the reference.</summary>
public sealed class TinyModelFixture : IAsyncLifetime
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("tiny-gptj-").FullName;

    public TextGenerator Generator { get; private set; } = null!;

    internal ReferenceGptj Reference { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await TinyGptj.WriteAsync(Folder);
        Generator = await ModelFolder.LoadAsync(Folder, new ModelLoadOptions { Load = new LoadOptions { VerifyHashes = true } });

        await using var file = await TensorFile.OpenAsync(Path.Combine(Folder, ModelFolder.TensorsFile));
        var tensors = await file.LoadTensorsAsync(new TorchLoadOptions { Dtype = TorchSharp.torch.ScalarType.Float32 });
        var weights = tensors.ToDictionary(t => t.Key, t => t.Value.data<float>().ToArray());
        foreach (var tensor in tensors.Values)
        {
            tensor.Dispose();
        }

        var c = TinyGptj.Config;
        Reference = new ReferenceGptj(new ReferenceConfig(c.VocabSize, c.NEmbd, c.NLayer, c.NHead, c.RotaryDim, (float)c.LayerNormEpsilon, c.ActivationFunction), weights);
    }

    public Task DisposeAsync()
    {
        Generator.Dispose();
        Directory.Delete(Folder, recursive: true);
        return Task.CompletedTask;
    }
}
