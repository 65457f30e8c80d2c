using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Models.Tokenization.HuggingFace;

/// <summary>An added token of <c>tokenizer.json</c> (or <c>tokenizer_config.json</c>'s <c>added_tokens_decoder</c>).</summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool Normalized, bool StripsSpaces);

/// <summary>
/// What the service needs from a <c>tokenizer.json</c> beyond the encoding, which Hugging Face's own code does:
/// every id's token string (for decoding), the added tokens, the tokens the post-processor adds around a text, the
/// decoder, and how many bytes of text one token can stand for (for refusing a prompt before tokenizing it).
/// </summary>
internal sealed class TokenizerJson
{
    // Ids size the decode table, so an absurd one is refused before it allocates.
    private const int MaxTokenId = 1 << 24;

    private static readonly string[] OverridableFields = ["truncation", "padding"];

    private TokenizerJson(string path)
    {
        Path = path;
    }

    public string Path { get; }

    /// <summary>Every id's token string (added tokens over the model's vocabulary); null where an id has none.</summary>
    public string?[] Tokens { get; private set; } = [];

    public IReadOnlyList<AddedToken> AddedTokens { get; private set; } = [];

    /// <summary>The ids the post-processor puts before and after a single text when special tokens are added.</summary>
    public (int[] Prefix, int[] Suffix) Template { get; private set; } = ([], []);

    public DecoderChain Decoder { get; private set; } = null!;

    /// <summary>
    /// At most how many UTF-8 bytes of the input text one token stands for, when that is bounded: null when a
    /// normalizer may shrink text by an unknown factor, an added token swallows spaces, or a character can be dropped
    /// or fused into one unknown token.
    /// </summary>
    public int? MaxBytesPerToken { get; private set; }

    /// <summary>Fields that would make Hugging Face's tokenizer change its output (truncation, padding), which transformers also clears.</summary>
    public IReadOnlyList<string> Overrides { get; private set; } = [];

    public static TokenizerJson Read(string path)
    {
        using var document = ParseJson(path);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{path}: no \"model\" object.");
        }

        var json = new TokenizerJson(path);
        var vocabulary = ReadVocabulary(model, path);
        var added = ReadAddedTokens(root, path);
        json.AddedTokens = added;
        json.Tokens = BuildTokens(vocabulary, added, path);
        json.Template = ReadTemplate(root.TryGetProperty("post_processor", out var post) ? post : default, path);
        json.Decoder = DecoderChain.Parse(root.TryGetProperty("decoder", out var decoder) ? decoder : default, path);
        json.MaxBytesPerToken = EncodingBound.MaxBytesPerToken(root, model, vocabulary, added);
        json.Overrides = [.. OverridableFields.Where(name => root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)];
        return json;
    }

    /// <summary>
    /// A copy of the file with <see cref="Overrides"/> cleared and <paramref name="extraTokens"/> added, as
    /// transformers' fast tokenizer ends up after loading: written to a temporary file for the native loader.
    /// </summary>
    public string WriteAdjustedCopy(IReadOnlyList<AddedToken> extraTokens)
    {
        var root = JsonNode.Parse(File.ReadAllBytes(Path))!.AsObject();
        foreach (var name in Overrides)
        {
            root[name] = null;
        }

        if (extraTokens.Count > 0)
        {
            if (root["added_tokens"] is not JsonArray tokens)
            {
                root["added_tokens"] = tokens = [];
            }

            foreach (var token in extraTokens)
            {
                tokens.Add(new JsonObject
                {
                    ["id"] = token.Id,
                    ["content"] = token.Content,
                    ["single_word"] = false,
                    ["lstrip"] = false,
                    ["rstrip"] = false,
                    ["normalized"] = token.Normalized,
                    ["special"] = token.Special,
                });
            }
        }

        var copy = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"tokenizer-{Guid.NewGuid():N}.json");
        File.WriteAllText(copy, root.ToJsonString());
        return copy;
    }

    internal static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    internal static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e);
        }
    }

    internal static bool IsTokenId(JsonElement element, out int id)
    {
        id = 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out id) && id is >= 0 and < MaxTokenId;
    }

    /// <summary>token → id: an object for BPE, WordPiece and WordLevel; for Unigram a list of [piece, score], ids in order.</summary>
    private static Dictionary<string, int> ReadVocabulary(JsonElement model, string path)
    {
        if (!model.TryGetProperty("vocab", out var vocab))
        {
            throw new InvalidDataException($"{path}: \"model\" has no \"vocab\".");
        }

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        if (vocab.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in vocab.EnumerateObject())
            {
                ids[entry.Name] = IsTokenId(entry.Value, out var id) ? id : throw new InvalidDataException($"{path}: model.vocab gives '{entry.Name}' no valid id.");
            }
        }
        else if (vocab.ValueKind == JsonValueKind.Array)
        {
            var id = 0;
            foreach (var piece in vocab.EnumerateArray())
            {
                if (piece.ValueKind != JsonValueKind.Array || piece.GetArrayLength() == 0 || piece[0].ValueKind != JsonValueKind.String)
                {
                    throw new InvalidDataException($"{path}: model.vocab[{id}] is not a [piece, score] pair.");
                }

                ids.TryAdd(piece[0].GetString()!, id++);
            }
        }
        else
        {
            throw new InvalidDataException($"{path}: model.vocab is neither an object nor a list.");
        }

        return ids.Count > 0 ? ids : throw new InvalidDataException($"{path}: model.vocab is empty.");
    }

    private static List<AddedToken> ReadAddedTokens(JsonElement root, string path)
    {
        var added = new List<AddedToken>();
        if (!root.TryGetProperty("added_tokens", out var tokens) || tokens.ValueKind == JsonValueKind.Null)
        {
            return added;
        }

        if (tokens.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{path}: added_tokens is not a list.");
        }

        foreach (var token in tokens.EnumerateArray())
        {
            added.Add(ReadAddedToken(token, null, path, $"added_tokens[{added.Count}]"));
        }

        return added;
    }

    /// <summary>One added token; <paramref name="id"/> when the id is the entry's key (tokenizer_config.json's added_tokens_decoder).</summary>
    internal static AddedToken ReadAddedToken(JsonElement token, int? id, string path, string where)
    {
        var content = String(token, "content");
        int value = 0;
        if (content is null || (id is null && !(token.TryGetProperty("id", out var idElement) && IsTokenId(idElement, out value))))
        {
            throw new InvalidDataException($"{path}: {where} lacks a \"content\" string or a valid \"id\".");
        }

        bool Flag(string name, bool otherwise) => token.TryGetProperty(name, out var flag) ? flag.ValueKind == JsonValueKind.True : otherwise;
        return new AddedToken(id ?? value, content, Flag("special", false), Flag("normalized", true), Flag("lstrip", false) || Flag("rstrip", false));
    }

    private static string?[] BuildTokens(Dictionary<string, int> vocabulary, List<AddedToken> added, string path)
    {
        var size = Math.Max(vocabulary.Values.Max(), added.Count == 0 ? 0 : added.Max(t => t.Id)) + 1;
        var tokens = new string?[size];
        foreach (var (token, id) in vocabulary)
        {
            tokens[id] = tokens[id] is null ? token : throw new InvalidDataException($"{path}: the id {id} is given to two tokens, one of them '{token}'.");
        }

        foreach (var token in added)
        {
            tokens[token.Id] = token.Content; // Hugging Face looks an id up among the added tokens first
        }

        return tokens;
    }

    /// <summary>The special tokens the post-processor puts around a single text, for encoding without them.</summary>
    private static (int[] Prefix, int[] Suffix) ReadTemplate(JsonElement processor, string path)
    {
        if (processor.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return ([], []);
        }

        var type = String(processor, "type");
        switch (type)
        {
            case "ByteLevel":
                return ([], []); // offsets only
            case "Sequence":
                // Each processor wraps what the previous one produced.
                var (prefix, suffix) = (new List<int>(), new List<int>());
                foreach (var inner in processor.TryGetProperty("processors", out var list) && list.ValueKind == JsonValueKind.Array
                    ? list.EnumerateArray()
                    : throw new InvalidDataException($"{path}: a Sequence post-processor has no \"processors\" list."))
                {
                    var (before, after) = ReadTemplate(inner, path);
                    prefix.InsertRange(0, before);
                    suffix.AddRange(after);
                }

                return ([.. prefix], [.. suffix]);
            case "TemplateProcessing":
                return ReadTemplateProcessing(processor, path);
            case "RobertaProcessing" or "BertProcessing":
                return ([Pair(processor, "cls", path)], [Pair(processor, "sep", path)]);
            default:
                throw new NotSupportedException(
                    $"{path}: the post-processor '{type}' is not supported; supported: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing and Sequence.");
        }
    }

    private static int Pair(JsonElement processor, string name, string path) =>
        processor.TryGetProperty(name, out var pair) && pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2 && IsTokenId(pair[1], out var id)
            ? id
            : throw new InvalidDataException($"{path}: the post-processor's \"{name}\" is not a [token, id] pair.");

    private static (int[] Prefix, int[] Suffix) ReadTemplateProcessing(JsonElement processor, string path)
    {
        if (!processor.TryGetProperty("single", out var single) || single.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{path}: the TemplateProcessing post-processor has no \"single\" template.");
        }

        var specials = processor.TryGetProperty("special_tokens", out var map) && map.ValueKind == JsonValueKind.Object ? map : default;
        var (prefix, suffix) = (new List<int>(), new List<int>());
        var seenSequence = false;
        foreach (var piece in single.EnumerateArray())
        {
            if (piece.TryGetProperty("Sequence", out _))
            {
                seenSequence = true;
                continue;
            }

            var name = piece.TryGetProperty("SpecialToken", out var special) ? String(special, "id") : null;
            if (name is null || specials.ValueKind != JsonValueKind.Object || !specials.TryGetProperty(name, out var entry)
                || !entry.TryGetProperty("ids", out var ids) || ids.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"{path}: the TemplateProcessing post-processor uses a special token it does not define ('{name}').");
            }

            foreach (var id in ids.EnumerateArray())
            {
                (seenSequence ? suffix : prefix).Add(IsTokenId(id, out var value) ? value : throw new InvalidDataException($"{path}: the special token '{name}' has an invalid id."));
            }
        }

        return seenSequence ? ([.. prefix], [.. suffix]) : throw new InvalidDataException($"{path}: the TemplateProcessing \"single\" template has no $A sequence.");
    }

    /// <summary>How many input bytes a token can stand for, from the normalizer, pre-tokenizer, model and added tokens.</summary>
    private static class EncodingBound
    {
        public static int? MaxBytesPerToken(JsonElement root, JsonElement model, Dictionary<string, int> vocabulary, List<AddedToken> added)
        {
            if (String(model, "type") != "BPE" || added.Any(t => t.StripsSpaces))
            {
                return null; // other models are not bounded here; lstrip/rstrip tokens swallow any run of spaces
            }

            var normalizer = root.TryGetProperty("normalizer", out var n) ? n : default;
            var shrink = Shrink(normalizer);
            var preTokenizer = root.TryGetProperty("pre_tokenizer", out var p) ? p : default;
            if (shrink is null || !KeepsText(preTokenizer))
            {
                return null;
            }

            int longest;
            if (HasByteLevel(preTokenizer))
            {
                // Every byte of text is one character of the vocabulary's alphabet: all 256 must be there.
                if (Checkpoints.Builtin.Gpt2TokenizerFiles.ByteToChar.Any(c => !vocabulary.ContainsKey(c.ToString())))
                {
                    return null;
                }

                var buffer = new byte[64];
                longest = vocabulary.Keys.Max(token => ByteLevel.TryGetBytes(token, ref buffer));
            }
            else
            {
                // SentencePiece-style: a character outside the vocabulary becomes byte tokens, if all 256 exist;
                // otherwise it may be dropped or fused with others into one unknown token.
                var byteFallback = model.TryGetProperty("byte_fallback", out var fallback) && fallback.ValueKind == JsonValueKind.True;
                if (!byteFallback || Enumerable.Range(0, 256).Any(b => !vocabulary.ContainsKey($"<0x{b:X2}>")))
                {
                    return null;
                }

                longest = vocabulary.Keys.Max(Encoding.UTF8.GetByteCount);
            }

            // An added token stands for its content; a normalized one is matched in normalized text, which is longer by
            // at most a prepended marker and three bytes per character (a space becoming U+2581).
            var hasNormalizer = normalizer.ValueKind == JsonValueKind.Object;
            var addedLongest = added.Select(t => Encoding.UTF8.GetByteCount(t.Content) * (t.Normalized && hasNormalizer ? 3 : 1) + (t.Normalized && hasNormalizer ? 3 : 0))
                .DefaultIfEmpty(0).Max();
            return (int)Math.Ceiling(Math.Max(longest, addedLongest) * shrink.Value);
        }

        /// <summary>By how much the normalizer may shrink a text's UTF-8 at most; null when unknown.</summary>
        private static double? Shrink(JsonElement normalizer)
        {
            if (normalizer.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            {
                return 1;
            }

            switch (String(normalizer, "type"))
            {
                case "Sequence":
                    double factor = 1;
                    if (!normalizer.TryGetProperty("normalizers", out var list) || list.ValueKind != JsonValueKind.Array)
                    {
                        return null;
                    }

                    foreach (var inner in list.EnumerateArray())
                    {
                        if (Shrink(inner) is not { } f)
                        {
                            return null;
                        }

                        factor *= f;
                    }

                    return factor;
                case "Prepend":
                    return 1;
                case "NFC" or "NFD" or "NFKC" or "NFKD":
                    return 4; // a composition or compatibility mapping: at most 4 bytes to 1 (𝐀 → A)
                case "Lowercase":
                    return 3; // K (U+212A) → k
                case "Replace":
                    var pattern = normalizer.TryGetProperty("pattern", out var p) ? String(p, "String") : null;
                    var content = String(normalizer, "content");
                    return pattern is { Length: > 0 } && content is { Length: > 0 }
                        ? Math.Max(1, (double)Encoding.UTF8.GetByteCount(pattern) / Encoding.UTF8.GetByteCount(content))
                        : null;
                default:
                    return null;
            }
        }

        /// <summary>Pre-tokenizers that only split (or add) text, never remove it.</summary>
        private static bool KeepsText(JsonElement preTokenizer) => preTokenizer.ValueKind switch
        {
            JsonValueKind.Null or JsonValueKind.Undefined => true,
            JsonValueKind.Object => String(preTokenizer, "type") switch
            {
                "Sequence" => preTokenizer.TryGetProperty("pretokenizers", out var list) && list.ValueKind == JsonValueKind.Array && list.EnumerateArray().All(KeepsText),
                "ByteLevel" or "Metaspace" or "Digits" or "Punctuation" => true,
                "Split" => String(preTokenizer, "behavior") != "Removed",
                _ => false,
            },
            _ => false,
        };

        private static bool HasByteLevel(JsonElement preTokenizer) => preTokenizer.ValueKind == JsonValueKind.Object && String(preTokenizer, "type") switch
        {
            "ByteLevel" => true,
            "Sequence" => preTokenizer.TryGetProperty("pretokenizers", out var list) && list.ValueKind == JsonValueKind.Array && list.EnumerateArray().Any(HasByteLevel),
            _ => false,
        };
    }
}
