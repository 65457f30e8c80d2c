using System.Text.Json;

namespace Models.Architectures;

/// <summary>What every causal language model tells the generation engine about itself.</summary>
public sealed record ModelConfig(string ModelType, int VocabularySize, int ContextLength, int? EndOfTextId)
{
    /// <summary>Reads <c>config.json</c> from a model folder (Hugging Face format).</summary>
    public static JsonDocument ReadJson(string modelFolder)
    {
        var path = Path.Combine(modelFolder, "config.json");
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e);
        }
    }
}
