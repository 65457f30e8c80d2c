using System.Text.Json;

namespace Models.Tokenization;

/// <summary>Reading the tokenizer files Hugging Face saves, with errors that name the file and what is wrong.</summary>
public sealed partial class ModelTokenizer
{
    private static TokenizerFiles ReadTokenizerJson(string path)
    {
        using var document = ParseJson(path);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{path}: no \"model\" object.");
        }

        if (model.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() != "BPE")
        {
            throw new NotSupportedException($"{path}: model type '{type.GetString()}' is not supported; only byte-level BPE (GPT-2's) is.");
        }

        var preTokenizer = root.TryGetProperty("pre_tokenizer", out var p) ? p : default;
        if (preTokenizer.ValueKind != JsonValueKind.Object || StringProperty(preTokenizer, "type") != "ByteLevel"
            || (preTokenizer.TryGetProperty("use_regex", out var useRegex) && useRegex.ValueKind == JsonValueKind.False))
        {
            throw new NotSupportedException($"{path}: only GPT-2's ByteLevel pre-tokenizer (with its regex) is supported.");
        }

        if (!model.TryGetProperty("vocab", out var vocab) || !model.TryGetProperty("merges", out var merges))
        {
            throw new InvalidDataException($"{path}: \"model\" lacks \"vocab\" or \"merges\".");
        }

        return new TokenizerFiles(
            path,
            path,
            ReadTokenIds(vocab, path, "model.vocab", allowEmpty: false),
            ReadJsonMerges(merges, path),
            ReadAddedTokens(root, path),
            preTokenizer.TryGetProperty("add_prefix_space", out var prefix) && prefix.ValueKind == JsonValueKind.True);
    }

    // Merges are "left right" strings, or [left, right] pairs in files from tokenizers 0.20 on.
    private static List<string> ReadJsonMerges(JsonElement merges, string path)
    {
        if (merges.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{path}: model.merges is not an array.");
        }

        var list = new List<string>(merges.GetArrayLength());
        foreach (var merge in merges.EnumerateArray())
        {
            var text = merge.ValueKind switch
            {
                JsonValueKind.String => merge.GetString()!,
                JsonValueKind.Array when merge.GetArrayLength() == 2 && merge.EnumerateArray().All(part => part.ValueKind == JsonValueKind.String)
                    => JoinPair(merge[0].GetString()!, merge[1].GetString()!, path),
                _ => throw new InvalidDataException($"{path}: model.merges[{list.Count}] is neither \"a b\" nor [\"a\", \"b\"]."),
            };
            list.Add(CheckMerge(text, path, $"model.merges[{list.Count}]"));
        }

        return list.Count > 0 ? list : throw new InvalidDataException($"{path}: model.merges is empty.");
    }

    private static string JoinPair(string left, string right, string path) =>
        left.Contains(' ', StringComparison.Ordinal) || right.Contains(' ', StringComparison.Ordinal)
            ? throw new NotSupportedException($"{path}: the merge [\"{left}\", \"{right}\"] has a space inside a token, which byte-level BPE never does.")
            : $"{left} {right}";

    private static Dictionary<string, int> ReadAddedTokens(JsonElement root, string path)
    {
        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!root.TryGetProperty("added_tokens", out var tokens) || tokens.ValueKind == JsonValueKind.Null)
        {
            return added;
        }

        if (tokens.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{path}: added_tokens is not an array.");
        }

        var index = 0;
        foreach (var token in tokens.EnumerateArray())
        {
            var content = token.ValueKind == JsonValueKind.Object ? StringProperty(token, "content") : null;
            if (content is null || !token.TryGetProperty("id", out var id) || !IsTokenId(id, out var value))
            {
                throw new InvalidDataException($"{path}: added_tokens[{index}] lacks a \"content\" string or a valid \"id\".");
            }

            index++;
            added[content] = value;
        }

        return added;
    }

    private static List<string> ReadMergesFile(string path)
    {
        var merges = new List<string>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal)))
            {
                continue;
            }

            merges.Add(CheckMerge(line, path, $"line {lineNumber}"));
        }

        return merges.Count > 0 ? merges : throw new InvalidDataException($"{path}: no merges.");
    }

    private static string CheckMerge(string merge, string path, string where)
    {
        var space = merge.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 && space < merge.Length - 1 && merge.IndexOf(' ', space + 1) < 0
            ? merge
            : throw new InvalidDataException($"{path}: {where} is not a merge \"left right\": '{(merge.Length > 40 ? merge[..40] + "…" : merge)}'.");
    }

    private static Dictionary<string, int> ReadTokenIdsFile(string path, bool allowEmpty)
    {
        using var document = ParseJson(path);
        return ReadTokenIds(document.RootElement, path, "the file", allowEmpty);
    }

    private static Dictionary<string, int> ReadTokenIds(JsonElement element, string path, string what, bool allowEmpty)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{path}: {what} is not a JSON object of token → id.");
        }

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!IsTokenId(property.Value, out var id))
            {
                throw new InvalidDataException($"{path}: {what} gives '{property.Name}' no valid id ({property.Value.GetRawText()}).");
            }

            ids[property.Name] = id;
        }

        return ids.Count > 0 || allowEmpty ? ids : throw new InvalidDataException($"{path}: {what} is empty.");
    }

    private static int? ReadConfigEndOfText(string modelFolder)
    {
        var path = Path.Combine(modelFolder, ConfigFile);
        if (!File.Exists(path))
        {
            return null;
        }

        using var config = ParseJson(path);
        return config.RootElement.ValueKind == JsonValueKind.Object && config.RootElement.TryGetProperty("eos_token_id", out var eos)
            && IsTokenId(eos, out var id) ? id : null;
    }

    private static bool IsTokenId(JsonElement element, out int id)
    {
        id = 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out id) && id is >= 0 and < MaxTokenId;
    }

    private static string? StringProperty(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e);
        }
    }

    private sealed record TokenizerFiles(
        string VocabSource, string MergesSource, Dictionary<string, int> Vocabulary, List<string> Merges, Dictionary<string, int> AddedTokens, bool AddPrefixSpace);
}
