using System.Text.Json;
using System.Text.Json.Nodes;

namespace ChatTemplates;

/// <summary>
/// A model's chat templates and special tokens as transformers finds them in a model folder:
/// <c>chat_template</c> in <c>tokenizer_config.json</c> (a string, or a list of <c>{name, template}</c>),
/// overridden by <c>chat_template.jinja</c> beside it, plus any <c>additional_chat_templates/NAME.jinja</c>.
/// </summary>
public sealed record ChatTemplateFiles
{
    public const string TokenizerConfigFile = "tokenizer_config.json";
    public const string TemplateFile = "chat_template.jinja";
    public const string AdditionalTemplatesFolder = "additional_chat_templates";

    /// <summary>Templates by name; the main one is "default".</summary>
    public IReadOnlyDictionary<string, string> Templates { get; init; } = new Dictionary<string, string>();

    /// <summary>bos_token, eos_token, unk_token, sep_token, pad_token, cls_token, mask_token as set (a token
    /// given as an AddedToken object by its <c>content</c>); unset ones are absent.</summary>
    public IReadOnlyDictionary<string, string> SpecialTokens { get; init; } = new Dictionary<string, string>();

    public string? BosToken => SpecialTokens.GetValueOrDefault("bos_token");

    public string? EosToken => SpecialTokens.GetValueOrDefault("eos_token");

    public bool HasTemplate => Templates.Count > 0;

    /// <summary>
    /// The template to render, as transformers chooses it: the one named, else "tool_use" when tools are given
    /// and the model has one, else "default"; null when the model has none. A name the model lacks is an error.
    /// </summary>
    public string? Select(string? name = null, bool hasTools = false)
    {
        if (name is not null)
        {
            return Templates.TryGetValue(name, out var named)
                ? named
                : throw new TemplateException($"The model has no chat template named '{name}' (it has: {string.Join(", ", Templates.Keys)})");
        }
        if (hasTools && Templates.TryGetValue("tool_use", out var toolUse))
        {
            return toolUse;
        }
        if (Templates.TryGetValue("default", out var template))
        {
            return template;
        }
        return Templates.Count == 0
            ? null
            : throw new TemplateException($"The model's chat templates have no 'default' (it has: {string.Join(", ", Templates.Keys)}); name one");
    }

    /// <summary>Reads a model folder. Neither file present gives an empty result (no template, no tokens).</summary>
    public static ChatTemplateFiles Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var configPath = Path.Combine(directory, TokenizerConfigFile);
        var files = File.Exists(configPath) ? FromTokenizerConfig(File.ReadAllText(configPath), configPath) : new ChatTemplateFiles();
        var templates = new Dictionary<string, string>(files.Templates, StringComparer.Ordinal);
        var additional = Path.Combine(directory, AdditionalTemplatesFolder);
        if (Directory.Exists(additional))
        {
            foreach (var path in Directory.EnumerateFiles(additional, "*.jinja").Order(StringComparer.Ordinal))
            {
                templates[Path.GetFileNameWithoutExtension(path)] = File.ReadAllText(path);
            }
        }
        var main = Path.Combine(directory, TemplateFile);
        if (File.Exists(main))
        {
            templates["default"] = File.ReadAllText(main);
        }
        return files with { Templates = templates };
    }

    /// <summary>Reads the text of a <c>tokenizer_config.json</c>.</summary>
    public static ChatTemplateFiles FromTokenizerConfig(string json, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        var where = path ?? TokenizerConfigFile;
        JsonObject config;
        try
        {
            config = JsonNode.Parse(json) as JsonObject ?? throw new TemplateException($"{where} is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new TemplateException($"{where} is not valid JSON: {e.Message}", e);
        }
        var templates = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (config["chat_template"])
        {
            case null:
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                templates["default"] = value.GetValue<string>();
                break;
            case JsonArray list:
                foreach (var item in list)
                {
                    if (item is not JsonObject entry || String(entry["name"]) is not string name || String(entry["template"]) is not string template)
                    {
                        throw new TemplateException($"{where}: each chat_template entry needs a string 'name' and 'template'");
                    }
                    templates[name] = template;
                }
                break;
            default:
                throw new TemplateException($"{where}: chat_template must be a string or a list of {{name, template}}");
        }
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in (string[])["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"])
        {
            var token = config[key] switch
            {
                JsonObject added => String(added["content"]),
                var node => String(node),
            };
            if (token is not null)
            {
                tokens[key] = token;
            }
        }
        return new ChatTemplateFiles { Templates = templates, SpecialTokens = tokens };
    }

    private static string? String(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
