using System.Text.Json;

namespace Models.Tokenization.HuggingFace;

/// <summary>
/// <c>tokenizer_config.json</c> (with <c>special_tokens_map.json</c> for what it does not name): the beginning-,
/// end-of-text, padding and unknown tokens, the additional special tokens, and its <c>added_tokens_decoder</c>.
/// </summary>
internal sealed record TokenizerConfig(
    string? BeginningOfText, string? EndOfText, string? Padding, string? Unknown, IReadOnlyList<string> AdditionalSpecialTokens, IReadOnlyList<AddedToken> AddedTokens)
{
    public const string FileName = "tokenizer_config.json";
    public const string SpecialTokensMapFile = "special_tokens_map.json";

    public static TokenizerConfig Read(string folder)
    {
        var configPath = Path.Combine(folder, FileName);
        var mapPath = Path.Combine(folder, SpecialTokensMapFile);
        using var config = File.Exists(configPath) ? TokenizerJson.ParseJson(configPath) : null;
        using var map = File.Exists(mapPath) ? TokenizerJson.ParseJson(mapPath) : null;
        var sources = new[] { (config, configPath), (map, mapPath) }
            .Where(s => s.Item1 is not null && s.Item1.RootElement.ValueKind == JsonValueKind.Object)
            .Select(s => (Root: s.Item1!.RootElement, Path: s.Item2))
            .ToList();

        string? Token(string name)
        {
            foreach (var (root, path) in sources)
            {
                if (root.TryGetProperty(name, out var value))
                {
                    return TokenText(value, path, name); // present, even as null, decides
                }
            }

            return null;
        }

        var additional = new List<string>();
        foreach (var (root, path) in sources)
        {
            if (root.TryGetProperty("additional_special_tokens", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                additional.AddRange(list.EnumerateArray().Select((t, i) => TokenText(t, path, $"additional_special_tokens[{i}]")).OfType<string>());
                break;
            }
        }

        var added = new List<AddedToken>();
        if (config is not null && config.RootElement.ValueKind == JsonValueKind.Object
            && config.RootElement.TryGetProperty("added_tokens_decoder", out var decoder) && decoder.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in decoder.EnumerateObject())
            {
                if (!int.TryParse(entry.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
                {
                    throw new InvalidDataException($"{configPath}: added_tokens_decoder has a key that is not an id: '{entry.Name}'.");
                }

                added.Add(TokenizerJson.ReadAddedToken(entry.Value, id, configPath, $"added_tokens_decoder[\"{entry.Name}\"]"));
            }
        }

        return new TokenizerConfig(Token("bos_token"), Token("eos_token"), Token("pad_token"), Token("unk_token"), additional, added);
    }

    /// <summary>
    /// Tokens transformers adds to the fast tokenizer when it loads (the config's added tokens and special tokens
    /// that tokenizer.json lacks as added tokens), with their ids.
    /// </summary>
    public List<AddedToken> MissingFrom(TokenizerJson json)
    {
        var present = json.AddedTokens.Select(t => (t.Id, t.Content)).ToHashSet();
        var presentContents = json.AddedTokens.Select(t => t.Content).ToHashSet(StringComparer.Ordinal);
        var missing = new List<AddedToken>();
        foreach (var token in AddedTokens.Where(t => !present.Contains((t.Id, t.Content))))
        {
            var existing = token.Id < json.Tokens.Length ? json.Tokens[token.Id] : null;
            if (existing is not null && existing != token.Content)
            {
                throw new InvalidDataException($"{FileName}: added_tokens_decoder gives the id {token.Id} to '{token.Content}', but {json.Path} gives it to '{existing}'.");
            }

            missing.Add(token);
            presentContents.Add(token.Content);
        }

        var vocabulary = Lookup(json);
        foreach (var text in new[] { BeginningOfText, EndOfText, Padding, Unknown }.Concat(AdditionalSpecialTokens).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            if (!presentContents.Contains(text) && vocabulary.TryGetValue(text, out var id))
            {
                missing.Add(new AddedToken(id, text, Special: true, Normalized: false, StripsSpaces: false));
                presentContents.Add(text);
            }
        }

        return missing;
    }

    /// <summary>token → id over the vocabulary and added tokens (an added token wins).</summary>
    public static Dictionary<string, int> Lookup(TokenizerJson json)
    {
        var ids = new Dictionary<string, int>(json.Tokens.Length, StringComparer.Ordinal);
        for (var id = 0; id < json.Tokens.Length; id++)
        {
            if (json.Tokens[id] is { } token)
            {
                ids.TryAdd(token, id);
            }
        }

        foreach (var token in json.AddedTokens)
        {
            ids[token.Content] = token.Id;
        }

        return ids;
    }

    // A special token is a string, or an AddedToken object {"content": ..., "__type": "AddedToken", ...}, or null.
    private static string? TokenText(JsonElement value, string path, string name) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null => null,
        JsonValueKind.Object when TokenizerJson.String(value, "content") is { } content => content,
        _ => throw new InvalidDataException($"{path}: \"{name}\" is neither a token string nor an object with \"content\"."),
    };
}
