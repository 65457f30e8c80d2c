using System.Text.Json;

namespace Models.Architectures;

/// <summary>
/// What every causal language model tells the generation engine about itself. <see cref="EndOfTextId"/> is the first
/// end-of-text id (also the padding id); <see cref="EndOfTextIds"/> lists every id that ends a sequence (config.json's
/// <c>eos_token_id</c> is a list for Llama 3).
/// </summary>
public sealed record ModelConfig(string ModelType, int VocabularySize, int ContextLength, int? EndOfTextId)
{
    private readonly IReadOnlyList<int>? _endOfTextIds;

    /// <summary>Every id that ends generation; by default <see cref="EndOfTextId"/> alone (or none).</summary>
    public IReadOnlyList<int> EndOfTextIds
    {
        get => _endOfTextIds ?? (EndOfTextId is { } id ? [id] : []);
        init => _endOfTextIds = value;
    }

    /// <summary>A model that ends at any of <paramref name="endOfTextIds"/>; the first is <see cref="EndOfTextId"/> (and the padding id).</summary>
    public static ModelConfig WithEndOfTextIds(string modelType, int vocabularySize, int contextLength, IReadOnlyList<int> endOfTextIds)
    {
        ArgumentNullException.ThrowIfNull(endOfTextIds);
        return new(modelType, vocabularySize, contextLength, endOfTextIds.Count > 0 ? endOfTextIds[0] : null) { EndOfTextIds = endOfTextIds };
    }

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
