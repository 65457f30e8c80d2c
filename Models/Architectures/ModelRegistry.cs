using System.Text.Json;

namespace Models.Architectures;

/// <summary>Finds the architecture for a <c>config.json</c>: every <see cref="IModelArchitecture"/> in this assembly.</summary>
public static class ModelRegistry
{
    private static readonly Lazy<IReadOnlyDictionary<string, IModelArchitecture>> Architectures = new(Discover);

    public static IReadOnlyCollection<string> ModelTypes => [.. Architectures.Value.Keys];

    public static IModelArchitecture For(JsonElement config)
    {
        var modelType = config.TryGetProperty("model_type", out var type) && type.ValueKind == JsonValueKind.String
            ? type.GetString()!
            : throw new InvalidDataException("config.json has no model_type.");
        return Architectures.Value.TryGetValue(modelType, out var architecture)
            ? architecture
            : throw new NotSupportedException($"Model type '{modelType}' is not supported; supported: {string.Join(", ", ModelTypes)}.");
    }

    private static Dictionary<string, IModelArchitecture> Discover() =>
        typeof(ModelRegistry).Assembly.GetTypes()
            .Where(t => t.IsClass && !t.IsAbstract && typeof(IModelArchitecture).IsAssignableFrom(t))
            .Select(t => (IModelArchitecture)Activator.CreateInstance(t)!)
            .SelectMany(a => a.ModelTypes.Select(modelType => (modelType, a)))
            .ToDictionary(p => p.modelType, p => p.a, StringComparer.Ordinal);
}
